//! Snapshots: the whole simulation state as bytes (`c.save`, `Cluster.load`, pickling). A
//! loaded cluster continues exactly as the saved one would have: the same history, the same
//! resourceVersions, the same generated names. Loading costs time in proportion to the objects
//! (their indexes are rebuilt), not to the history that led to them.
//!
//! Layout: a header — [`MAGIC`], the format number (u16, little-endian), the kubesim version
//! (a length byte, then the text), a flags byte (bit 0: compressed) — then the payload, as
//! written or as one zstd frame with its checksum. The payload of a cluster is postcard (a
//! compact varint binary) of its clock, store and engine; what many values share is written
//! once (see [`shared`]).

pub mod shared;

use zstd::zstd_safe::CParameter;

use crate::error::KubesimError;

/// The first bytes of every snapshot (and of every file `c.save` writes).
pub const MAGIC: &[u8; 8] = b"\x93KUBESIM";
/// Bumped whenever what a snapshot holds changes shape.
pub const FORMAT: u16 = 6;
/// This build's version: a snapshot continues exactly only in the build that wrote it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
/// zstd level 1: the fastest of the standard levels; the stored objects' repetitive fields
/// compress well even so.
const LEVEL: i32 = 1;
const COMPRESSED: u8 = 1;

/// Why bytes are not a snapshot this build can load.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum SnapshotError {
    /// The bytes do not start with [`MAGIC`].
    #[error("{0} is not a saved kubesim cluster (it does not start with kubesim's snapshot header)")]
    NotASnapshot(String),
    /// Written by another kubesim version or snapshot format.
    #[error(
        "{file} was saved by kubesim {version} (snapshot format {format}); this is kubesim {VERSION} (format \
         {FORMAT}), which cannot continue it exactly: load it with kubesim {version}"
    )]
    OtherVersion { file: String, version: String, format: u16 },
    /// The bytes end before the snapshot does.
    #[error("{file} is truncated: {what}")]
    Truncated { file: String, what: String },
    /// The bytes are damaged (a checksum or a decoding failed).
    #[error("{file} is corrupt: {what}")]
    Corrupt { file: String, what: String },
}

impl From<SnapshotError> for KubesimError {
    fn from(e: SnapshotError) -> Self {
        KubesimError::InvalidArgument(e.to_string())
    }
}

/// `payload` behind a snapshot header, compressed if `compress`.
pub fn frame(payload: &[u8], compress: bool) -> Result<Vec<u8>, KubesimError> {
    let mut out = Vec::with_capacity(if compress { payload.len() / 4 } else { payload.len() } + 64);
    out.extend_from_slice(MAGIC);
    out.extend_from_slice(&FORMAT.to_le_bytes());
    out.push(VERSION.len() as u8);
    out.extend_from_slice(VERSION.as_bytes());
    out.push(if compress { COMPRESSED } else { 0 });
    if !compress {
        out.extend_from_slice(payload);
        return Ok(out);
    }
    let fail = |e: std::io::Error| KubesimError::Simulation(format!("cannot compress the snapshot: {e}"));
    // One frame in one call (faster than the streaming encoder), with its content size and
    // checksum.
    let mut compressor = zstd::bulk::Compressor::new(LEVEL).map_err(fail)?;
    compressor.set_parameter(CParameter::ChecksumFlag(true)).map_err(fail)?;
    compressor.set_parameter(CParameter::ContentSizeFlag(true)).map_err(fail)?;
    out.extend_from_slice(&compressor.compress(payload).map_err(fail)?);
    Ok(out)
}

/// The payload of a snapshot written by [`frame`]; `source` names it in errors.
pub fn unframe(bytes: &[u8], source: &str) -> Result<Vec<u8>, SnapshotError> {
    let truncated = |what: &str| SnapshotError::Truncated { file: source.into(), what: what.into() };
    if bytes.len() < MAGIC.len() || &bytes[..MAGIC.len()] != MAGIC {
        return Err(if MAGIC.starts_with(bytes) && !bytes.is_empty() {
            truncated("it ends inside the header")
        } else {
            SnapshotError::NotASnapshot(source.into())
        });
    }
    let rest = &bytes[MAGIC.len()..];
    let (Some(format), Some(&len)) = (rest.get(..2), rest.get(2)) else {
        return Err(truncated("it ends inside the header"));
    };
    let format = u16::from_le_bytes([format[0], format[1]]);
    let Some(version) = rest.get(3..3 + len as usize) else { return Err(truncated("it ends inside the header")) };
    let version = String::from_utf8_lossy(version).into_owned();
    if format != FORMAT || version != VERSION {
        return Err(SnapshotError::OtherVersion { file: source.into(), version, format });
    }
    let Some(&flags) = rest.get(3 + len as usize) else { return Err(truncated("it ends inside the header")) };
    let payload = &rest[4 + len as usize..];
    if flags & COMPRESSED == 0 {
        return Ok(payload.to_vec());
    }
    // A frame shorter than its blocks say is truncated (whatever else is wrong with it).
    match zstd::zstd_safe::find_frame_compressed_size(payload) {
        Ok(n) if n <= payload.len() => {}
        _ => return Err(truncated("the compressed state ends early")),
    }
    let size = zstd::zstd_safe::get_frame_content_size(payload).ok().flatten();
    // The declared size is trusted only up to a ratio no snapshot reaches (a damaged header must
    // not make a huge allocation); beyond it, or without one, the state is streamed.
    let result = match size.filter(|&n| n <= payload.len() as u64 * 1024 + (1 << 20)) {
        Some(n) => zstd::bulk::decompress(payload, n as usize),
        None => zstd::stream::decode_all(payload),
    };
    result.map_err(|e| SnapshotError::Corrupt {
        file: source.into(),
        what: format!("the compressed state does not decode ({e})"),
    })
}

#[cfg(test)]
mod tests;
