// Orderly shutdown for servers: block SIGINT/SIGTERM in every thread at
// startup, then wait for one on the main thread and stop in order.
#ifndef SFS_COMMON_SIGNALS_H_
#define SFS_COMMON_SIGNALS_H_

namespace sfs {

// Call first in main(), before any thread starts, so the signals are only
// ever delivered through WaitForTerminationSignal.
void BlockTerminationSignals();

// Blocks until SIGINT or SIGTERM arrives; returns its number.
int WaitForTerminationSignal();

}  // namespace sfs

#endif  // SFS_COMMON_SIGNALS_H_
