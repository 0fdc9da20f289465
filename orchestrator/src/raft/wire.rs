//! How Raft RPCs travel between managers. AppendEntries and RequestVote are JSON; a snapshot
//! chunk is its bytes as they are, behind a small JSON header, because JSON would write each
//! byte as a number (about 3.5 bytes a byte) and a large state would not fit the body limit.
//!
//! A snapshot body is `[header length: u32 big-endian][header JSON][chunk bytes]`.
//! Bodies up to [`BODY_LIMIT`] are accepted; a sender whose AppendEntries would be larger
//! tells openraft to send fewer entries instead (see `network`).

use super::types::{RaftId, SnapshotMeta, TypeConfig};
use openraft::Vote;
use openraft::raft::InstallSnapshotRequest;
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The largest Raft RPC body a manager accepts.
pub const BODY_LIMIT: usize = 64 * 1024 * 1024;

/// How many bytes of a snapshot one InstallSnapshot RPC carries.
pub const SNAPSHOT_CHUNK: u64 = 4 * 1024 * 1024;

/// The media type of a snapshot chunk.
pub const SNAPSHOT_MEDIA_TYPE: &str = "application/octet-stream";

/// Everything of an InstallSnapshot request but its bytes.
#[derive(Serialize, Deserialize)]
struct ChunkHeader {
    vote: Vote<RaftId>,
    meta: SnapshotMeta,
    offset: u64,
    done: bool,
}

#[derive(Debug, Error, PartialEq, Eq)]
pub enum WireError {
    #[error("snapshot chunk too short: {0} bytes, its header says more")]
    Truncated(usize),
    #[error("snapshot chunk header: {0}")]
    Header(String),
}

/// The body of an InstallSnapshot RPC.
pub fn encode_snapshot(req: &InstallSnapshotRequest<TypeConfig>) -> Vec<u8> {
    let header = serde_json::to_vec(&ChunkHeader {
        vote: req.vote,
        meta: req.meta.clone(),
        offset: req.offset,
        done: req.done,
    })
    .expect("a snapshot header always serializes");
    let mut body = Vec::with_capacity(4 + header.len() + req.data.len());
    body.extend_from_slice(&(header.len() as u32).to_be_bytes());
    body.extend_from_slice(&header);
    body.extend_from_slice(&req.data);
    body
}

/// The InstallSnapshot request in `body`.
pub fn decode_snapshot(body: &[u8]) -> Result<InstallSnapshotRequest<TypeConfig>, WireError> {
    let Some((len, rest)) = body.split_first_chunk::<4>() else {
        return Err(WireError::Truncated(body.len()));
    };
    let len = u32::from_be_bytes(*len) as usize;
    if rest.len() < len {
        return Err(WireError::Truncated(body.len()));
    }
    let (header, data) = rest.split_at(len);
    let h: ChunkHeader =
        serde_json::from_slice(header).map_err(|e| WireError::Header(e.to_string()))?;
    Ok(InstallSnapshotRequest {
        vote: h.vote,
        meta: h.meta,
        offset: h.offset,
        data: data.to_vec(),
        done: h.done,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use openraft::{CommittedLeaderId, LogId};

    fn request(data: Vec<u8>) -> InstallSnapshotRequest<TypeConfig> {
        InstallSnapshotRequest {
            vote: Vote::new_committed(3, 1),
            meta: SnapshotMeta {
                last_log_id: Some(LogId::new(CommittedLeaderId::new(3, 1), 42)),
                last_membership: Default::default(),
                snapshot_id: "3-1-42-7".into(),
            },
            offset: 8,
            data,
            done: true,
        }
    }

    #[test]
    fn a_chunk_travels_as_its_bytes_behind_a_header() {
        let data: Vec<u8> = (0..=255).cycle().take(10_000).collect();
        let body = encode_snapshot(&request(data.clone()));
        assert!(body.ends_with(&data), "the bytes are sent as they are");
        assert!(body.len() < data.len() + 512, "{} bytes", body.len());
        let back = decode_snapshot(&body).unwrap();
        assert_eq!(back.data, data);
        assert_eq!(back.offset, 8);
        assert!(back.done);
        assert_eq!(back.vote, Vote::new_committed(3, 1));
        assert_eq!(back.meta, request(Vec::new()).meta);
    }

    #[test]
    fn a_cut_or_garbled_chunk_is_refused() {
        let body = encode_snapshot(&request(vec![1, 2, 3]));
        assert!(matches!(
            decode_snapshot(&body[..3]),
            Err(WireError::Truncated(3))
        ));
        assert!(matches!(
            decode_snapshot(&body[..10]),
            Err(WireError::Truncated(10))
        ));
        let mut garbled = body.clone();
        garbled[4] = b'!';
        assert!(matches!(
            decode_snapshot(&garbled),
            Err(WireError::Header(_))
        ));
    }
}
