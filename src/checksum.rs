//! The checksum of a migration or seed file: SHA-256 of its bytes with `\r\n` normalised to
//! `\n`, in lowercase hex (so a checkout on Windows and one on Linux agree).

use sha2::{Digest, Sha256};

/// SHA-256 of the bytes with `\r\n` normalised to `\n`, in lowercase hex.
pub fn checksum(bytes: &[u8]) -> String {
    let mut h = Sha256::new();
    hash_normalized(&mut h, bytes);
    hex(&h.finalize())
}

/// Feeds `bytes` to the hasher with `\r\n` normalised to `\n`, without copying them.
pub fn hash_normalized(h: &mut Sha256, bytes: &[u8]) {
    if !bytes.contains(&b'\r') {
        h.update(bytes);
        return;
    }
    let mut start = 0;
    for i in memchr_iter(b'\r', bytes) {
        if bytes.get(i + 1) == Some(&b'\n') {
            h.update(&bytes[start..i]);
            start = i + 1;
        }
    }
    h.update(&bytes[start..]);
}

fn memchr_iter(needle: u8, hay: &[u8]) -> impl Iterator<Item = usize> + '_ {
    hay.iter()
        .enumerate()
        .filter(move |(_, b)| **b == needle)
        .map(|(i, _)| i)
}

pub fn hex(bytes: &[u8]) -> String {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        s.push(DIGITS[(b >> 4) as usize] as char);
        s.push(DIGITS[(b & 15) as usize] as char);
    }
    s
}
