#include "client-lib/proto_convert.h"

namespace sfs {

FileInfo FromProto(const proto::FileInfo& file) {
  FileInfo info;
  info.path = file.path();
  info.size = file.size();
  info.sha256 = file.sha256();
  info.content_type = file.content_type();
  info.created_unix_micros = file.created_unix_micros();
  info.modified_unix_micros = file.modified_unix_micros();
  info.generation = file.generation();
  info.cache_control = file.cache_control();
  info.metadata.insert(file.metadata().begin(), file.metadata().end());
  for (const proto::ChunkInfo& c : file.chunks()) {
    ChunkInfo chunk;
    chunk.handle = c.handle();
    chunk.version = c.version();
    chunk.length = c.length();
    chunk.crc32c = c.crc32c();
    chunk.block_token = c.token().SerializeAsString();
    for (const proto::ReplicaLocation& r : c.replicas()) {
      chunk.replicas.push_back(
          ReplicaInfo{r.server_id(), r.address(), r.rack()});
    }
    info.chunks.push_back(std::move(chunk));
  }
  return info;
}

ClusterStatus FromProto(const proto::ClusterStatusResponse& status) {
  ClusterStatus out;
  for (const proto::ChunkserverStatus& s : status.chunkservers()) {
    out.chunkservers.push_back(
        ChunkserverStatus{s.server_id(), s.address(), s.rack(), s.alive(),
                          s.chunk_count(), s.used_bytes(), s.free_bytes(),
                          s.last_heartbeat_unix_micros(), s.disk_failed()});
  }
  out.file_count = status.file_count();
  out.chunk_count = status.chunk_count();
  out.replication_factor = status.replication_factor();
  out.safe_mode = status.safe_mode();
  out.replication_backlog = status.replication_backlog();
  out.under_replicated_chunks = status.under_replicated_chunks();
  out.corrupt_replicas = status.corrupt_replicas();
  out.usage_records_scanned = status.usage_records_scanned();
  return out;
}

FsckReport FromProto(const proto::FsckResponse& fsck) {
  FsckReport out;
  out.files = fsck.files();
  out.chunks = fsck.chunks();
  out.healthy_chunks = fsck.healthy_chunks();
  out.under_replicated_chunks = fsck.under_replicated_chunks();
  out.missing_chunks = fsck.missing_chunks();
  out.corrupt_replicas = fsck.corrupt_replicas();
  out.pending_uploads = fsck.pending_uploads();
  out.over_replicated_chunks = fsck.over_replicated_chunks();
  out.replication_backlog = fsck.replication_backlog();
  out.safe_mode = fsck.safe_mode();
  out.dead_chunkservers = fsck.dead_chunkservers();
  out.problems.assign(fsck.problems().begin(), fsck.problems().end());
  return out;
}

}  // namespace sfs
