//! The key part of an Idempotency-Key's records, shared by the services that keep them.

/// An Idempotency-Key's scope (the route) and value hashed to a fixed-size key part (the value
/// may be 255 characters of anything printable): FNV-1a, 128 bits, over `scope`, a separator
/// byte no header value has, and `key`, as 32 lowercase hex digits. The records store scope and
/// key in full, so a collision is seen.
pub fn hash(scope: &str, key: &str) -> String {
    const OFFSET: u128 = 0x6c62_272e_07bb_0142_62b8_2175_6295_c58d;
    const PRIME: u128 = 0x0000_0000_0100_0000_0000_0000_0000_013b;
    let mut hash = OFFSET;
    for byte in scope.bytes().chain([0u8]).chain(key.bytes()) {
        hash ^= u128::from(byte);
        hash = hash.wrapping_mul(PRIME);
    }
    format!("{hash:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_separator_keeps_scope_and_key_apart() {
        assert_ne!(hash("ab", "c"), hash("a", "bc"));
        assert_eq!(hash("a", "b"), hash("a", "b"));
        assert_eq!(hash("a", "b").len(), 32);
    }
}
