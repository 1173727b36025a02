//! A string that must not be shown: client secrets, passwords, tokens, private keys.
//!
//! `Debug` and `Display` never print the value; [`Secret::masked`] shows only the last four
//! characters, the way the walkthrough shows a secret until it is revealed on purpose.

use serde::{Deserialize, Serialize};

#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Secret(value.into())
    }

    /// The value itself, for the one place that must send or store it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// `••••` followed by the last four characters (all bullets for short values).
    pub fn masked(&self) -> String {
        let chars: Vec<char> = self.0.chars().collect();
        if chars.len() <= 8 {
            return "••••".to_string();
        }
        let tail: String = chars[chars.len() - 4..].iter().collect();
        format!("••••{tail}")
    }
}

/// For `#[serde(serialize_with = …)]` where a contract hands the value itself to a script
/// (`walab serve --json`, `walab join --json`); `Debug` still never shows it.
pub fn serialize_exposed<S: serde::Serializer>(secret: &Secret, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(secret.expose())
}

impl From<String> for Secret {
    fn from(value: String) -> Self {
        Secret(value)
    }
}

impl From<&str> for Secret {
    fn from(value: &str) -> Self {
        Secret(value.to_string())
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secret(••••)")
    }
}

impl std::fmt::Display for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn never_prints_the_value() {
        let s = Secret::new("abcdefghijklmnop1234");
        assert_eq!(format!("{s:?}"), "Secret(••••)");
        assert_eq!(s.to_string(), "••••1234");
        assert_eq!(Secret::new("short").masked(), "••••");
        assert_eq!(s.expose(), "abcdefghijklmnop1234");
    }
}
