//! Deterministic randomness derived per object: a value depends only on the cluster seed and the
//! object's own identity, so adding an unrelated object never shifts another object's names.

/// FNV-1a 64 over the parts (each followed by a separator), then SplitMix64 to spread the bits.
/// Stable across platforms and Rust versions, unlike `std`'s hashers.
pub fn stable_hash(seed: u64, parts: &[&[u8]]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    for p in parts {
        for &b in *p {
            h ^= b as u64;
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        h ^= 0xff;
        h = h.wrapping_mul(0x0000_0100_0000_01b3);
    }
    splitmix64(h)
}

pub fn splitmix64(mut x: u64) -> u64 {
    x = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    x = (x ^ (x >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    x = (x ^ (x >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    x ^ (x >> 31)
}

/// upstream: apimachinery `util/rand` — no vowels, no 0/1/3, to avoid words and look-alikes.
pub const NAME_ALPHABET: &[u8; 27] = b"bcdfghjklmnpqrstvwxz2456789";

/// `n` characters from the generated-name alphabet, drawn from `x`.
pub fn name_suffix(mut x: u64, n: usize) -> String {
    let mut s = String::with_capacity(n);
    for _ in 0..n {
        if x < 27 {
            x = splitmix64(x ^ 0xA5A5_A5A5);
        }
        s.push(NAME_ALPHABET[(x % 27) as usize] as char);
        x /= 27;
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_depends_on_seed_and_every_part() {
        let a = stable_hash(0, &[b"pod", b"web-"]);
        assert_eq!(a, stable_hash(0, &[b"pod", b"web-"]));
        assert_ne!(a, stable_hash(1, &[b"pod", b"web-"]));
        assert_ne!(a, stable_hash(0, &[b"pod", b"web"]));
        // part boundaries matter: ("ab","c") differs from ("a","bc")
        assert_ne!(stable_hash(0, &[b"ab", b"c"]), stable_hash(0, &[b"a", b"bc"]));
    }

    #[test]
    fn suffixes_use_the_upstream_alphabet() {
        for i in 0..200u64 {
            let s = name_suffix(stable_hash(7, &[&i.to_le_bytes()]), 5);
            assert_eq!(s.len(), 5);
            assert!(s.bytes().all(|b| NAME_ALPHABET.contains(&b)), "{s}");
        }
    }
}
