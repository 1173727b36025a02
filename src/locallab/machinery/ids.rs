//! Random identifiers in the shapes AWS uses.

use rand::RngExt;
use rand::distr::{Alphanumeric, SampleString};

/// Lowercase letters and digits, e.g. an app client id (26) or an API id (10).
pub fn lower_alnum(len: usize) -> String {
    const CHARS: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789";
    pick(CHARS, len)
}

/// Upper and lower case letters and digits, e.g. the 9 characters of a user pool id.
pub fn alnum(len: usize) -> String {
    Alphanumeric.sample_string(&mut rand::rng(), len)
}

/// Uppercase letters and digits, e.g. a CloudFront distribution or invalidation id.
pub fn upper_alnum(len: usize) -> String {
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    pick(CHARS, len)
}

pub fn digits(len: usize) -> String {
    let mut s = pick(b"123456789", 1);
    s.push_str(&pick(b"0123456789", len.saturating_sub(1)));
    s
}

pub fn uuid() -> String {
    uuid::Uuid::new_v4().to_string()
}

pub fn pick(chars: &[u8], len: usize) -> String {
    let mut rng = rand::rng();
    (0..len).map(|_| chars[rng.random_range(0..chars.len())] as char).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes() {
        assert_eq!(lower_alnum(26).len(), 26);
        assert!(lower_alnum(26).chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()));
        assert!(alnum(9).chars().all(|c| c.is_ascii_alphanumeric()));
        let account = digits(12);
        assert_eq!(account.len(), 12);
        assert!(!account.starts_with('0'));
    }
}
