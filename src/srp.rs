//! Secure Remote Password sign-in exactly as Amazon Cognito does it (`USER_SRP_AUTH` →
//! `PASSWORD_VERIFIER` → `RespondToAuthChallenge`), both sides, as pure functions.
//!
//! Cognito's variant of SRP-6a: the 3072-bit group of RFC 5054 / RFC 3526 with g = 2;
//! `k = H(pad(N) | pad(g))`, `u = H(pad(A) | pad(B))`,
//! `x = H(pad(salt) | H(poolName | userIdForSrp | ":" | password))`, the session key
//! `HKDF-SHA256(ikm = pad(S), salt = pad(u), info = "Caldera Derived Key")` cut to 16 bytes,
//! and the claim `PASSWORD_CLAIM_SIGNATURE = HMAC-SHA256(key, poolName | userIdForSrp |
//! secretBlock | TIMESTAMP)`. `pad` is the big-endian two's-complement encoding the standard
//! clients hash (a leading zero byte when the top bit is set): the usual trap.
//!
//! How the Cognito service uses it:
//! - at sign-up and whenever a password is set: [`PasswordVerifier::new`] and keep the result
//!   with the user (it replaces nothing; the password hash may stay for the other flows);
//! - `InitiateAuth` with `USER_SRP_AUTH`: [`begin_challenge`] with the client's `SRP_A`; answer
//!   the [`ChallengeParameters`] (plus `USERNAME` and `USER_ID_FOR_SRP`) and keep the
//!   [`PendingChallenge`] in a [`ChallengeBook`] under its secret block for a few minutes;
//! - `RespondToAuthChallenge` with `PASSWORD_VERIFIER`: [`ChallengeBook::take`] by
//!   `PASSWORD_CLAIM_SECRET_BLOCK`, then [`PendingChallenge::verify`] with `TIMESTAMP` and
//!   `PASSWORD_CLAIM_SIGNATURE`; any error is Cognito's `NotAuthorizedException`
//!   ("Incorrect username or password.").
//!
//! [`SrpClient`] is the other side, for `walab token --srp`.

use aws_lc_rs::{constant_time, digest, hkdf, hmac, rand};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use num_bigint::BigUint;

use crate::expiring::ExpiringMap;
use serde::{Deserialize, Serialize};

/// The RFC 5054 / RFC 3526 3072-bit prime.
const N_HEX: &str = concat!(
    "FFFFFFFFFFFFFFFFC90FDAA22168C234C4C6628B80DC1CD129024E088A67CC74020BBEA63B139B22514A08798E3404DD",
    "EF9519B3CD3A431B302B0A6DF25F14374FE1356D6D51C245E485B576625E7EC6F44C42E9A637ED6B0BFF5CB6F406B7ED",
    "EE386BFB5A899FA5AE9F24117C4B1FE649286651ECE45B3DC2007CB8A163BF0598DA48361C55D39A69163FA8FD24CF5F",
    "83655D23DCA3AD961C62F356208552BB9ED529077096966D670C354E4ABC9804F1746C08CA18217C32905E462E36CE3B",
    "E39E772C180E86039B2783A2EC07A28FB5C55DF06F4C52C9DE2BCBF6955817183995497CEA956AE515D2261898FA0510",
    "15728E5A8AAAC42DAD33170D04507A33A85521ABDF1CBA64ECFB850458DBEF0A8AEA71575D060C7DB3970F85A6E1E4C7",
    "ABF5AE8CDB0933D71E8C94E04A25619DCEE3D2261AD2EE6BF12FFA06D98A0864D87602733EC86A64521F2B18177B200C",
    "BBE117577A615D6C770988C0BAD946E208E24FA074E5AB3143DB5BFCE0FD108E4B82D120A93AD2CAFFFFFFFFFFFFFFFF",
);
const G: u32 = 2;
const KEY_INFO: &[u8] = b"Caldera Derived Key";
const KEY_LEN: usize = 16;
/// Random bytes behind the private values `a` and `b` (as the standard clients use).
const PRIVATE_BYTES: usize = 128;
const SALT_BYTES: usize = 16;
const SECRET_BLOCK_BYTES: usize = 64;
/// The longest `SRP_A` accepted: 3072 bits in hex, with room for leading zeros.
const MAX_SRP_A_HEX: usize = 1024;

const WEEKDAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"];

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum SrpError {
    #[error("SRP_A is not a hexadecimal number")]
    MalformedA,
    #[error("SRP_A must not be a multiple of the group's prime")]
    IllegalA,
    #[error("SRP_B is not a usable hexadecimal number")]
    MalformedB,
    #[error("SALT is not a hexadecimal number")]
    MalformedSalt,
    #[error("the stored password verifier is damaged")]
    DamagedVerifier,
    #[error("A and B give a zero scrambling parameter")]
    ZeroU,
    #[error("the secret block is not base64 or is not the one this challenge issued")]
    WrongSecretBlock,
    #[error("TIMESTAMP is not of the form \"Tue Nov 3 09:05:07 UTC 2026\"")]
    MalformedTimestamp,
    #[error("the password claim signature does not match")]
    WrongSignature,
    #[error("the system's random generator failed")]
    Random,
}

/// What a pool keeps instead of a password: the salt and `v = g^x mod N`, both as lowercase
/// hex (the salt in the padded form the clients hash, so every client hashes the same bytes).
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PasswordVerifier {
    pub salt: String,
    pub verifier: String,
}

impl std::fmt::Debug for PasswordVerifier {
    // A verifier allows an offline guess at the password: as sensitive as a password hash.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PasswordVerifier(••••)")
    }
}

impl PasswordVerifier {
    /// A new verifier for a password, with a fresh random salt.
    pub fn new(pool_id: &str, user_id_for_srp: &str, password: &str) -> Result<Self, SrpError> {
        let salt = BigUint::from_bytes_be(&random_bytes::<SALT_BYTES>()?);
        Ok(Self::with_salt(pool_id, user_id_for_srp, password, &salt))
    }

    fn with_salt(pool_id: &str, user_id_for_srp: &str, password: &str, salt: &BigUint) -> Self {
        let group = Group::get();
        let x = private_key_x(pool_id, user_id_for_srp, password, salt);
        let v = group.g.modpow(&x, &group.n);
        PasswordVerifier { salt: hex::encode(&padded(salt)), verifier: v.to_str_radix(16) }
    }

    fn parts(&self) -> Result<(BigUint, BigUint), SrpError> {
        let salt = parse_hex(&self.salt, MAX_SRP_A_HEX).ok_or(SrpError::DamagedVerifier)?;
        let v = parse_hex(&self.verifier, MAX_SRP_A_HEX).ok_or(SrpError::DamagedVerifier)?;
        if (&v % &Group::get().n).bits() == 0 {
            return Err(SrpError::DamagedVerifier);
        }
        Ok((salt, v))
    }
}

/// The public half of a `PASSWORD_VERIFIER` challenge: Cognito's `SRP_B`, `SALT` and
/// `SECRET_BLOCK` challenge parameters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChallengeParameters {
    pub srp_b: String,
    pub salt: String,
    pub secret_block: String,
}

/// What the server remembers of a challenge until the client answers: the session key it
/// derived and the secret block it issued. Nothing else is needed to check the claim.
pub struct PendingChallenge {
    pool_name: String,
    user_id_for_srp: String,
    secret_block: Vec<u8>,
    key: [u8; KEY_LEN],
}

impl std::fmt::Debug for PendingChallenge {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PendingChallenge").field("user_id_for_srp", &self.user_id_for_srp).finish_non_exhaustive()
    }
}

/// Starts a `PASSWORD_VERIFIER` challenge for the user whose verifier is given, from the
/// client's `SRP_A` (hex). Refuses an `A` that is a multiple of N, as SRP requires.
pub fn begin_challenge(
    pool_id: &str,
    user_id_for_srp: &str,
    verifier: &PasswordVerifier,
    srp_a: &str,
) -> Result<(ChallengeParameters, PendingChallenge), SrpError> {
    let group = Group::get();
    let a_pub = parse_hex(srp_a, MAX_SRP_A_HEX).ok_or(SrpError::MalformedA)?;
    if (&a_pub % &group.n).bits() == 0 {
        return Err(SrpError::IllegalA);
    }
    let (salt, v) = verifier.parts()?;
    let (b, b_pub) = loop {
        let b = BigUint::from_bytes_be(&random_bytes::<PRIVATE_BYTES>()?) % &group.n;
        let b_pub = (&group.k * &v + group.g.modpow(&b, &group.n)) % &group.n;
        if b.bits() != 0 && b_pub.bits() != 0 {
            break (b, b_pub);
        }
    };
    let u = scrambler(&a_pub, &b_pub);
    if u.bits() == 0 {
        return Err(SrpError::ZeroU);
    }
    // S = (A · v^u)^b mod N
    let s = ((&a_pub * v.modpow(&u, &group.n)) % &group.n).modpow(&b, &group.n);
    let secret_block = random_bytes::<SECRET_BLOCK_BYTES>()?.to_vec();
    let parameters = ChallengeParameters {
        srp_b: b_pub.to_str_radix(16),
        salt: hex::encode(&padded(&salt)),
        secret_block: STANDARD.encode(&secret_block),
    };
    let pending = PendingChallenge {
        pool_name: pool_name(pool_id).to_string(),
        user_id_for_srp: user_id_for_srp.to_string(),
        secret_block,
        key: session_key(&s, &u),
    };
    Ok((parameters, pending))
}

impl PendingChallenge {
    /// Checks the client's answer: `PASSWORD_CLAIM_SECRET_BLOCK`, `TIMESTAMP` and
    /// `PASSWORD_CLAIM_SIGNATURE` (base64). Comparisons of secret material take constant time.
    pub fn verify(&self, secret_block: &str, timestamp: &str, signature: &str) -> Result<(), SrpError> {
        let block = decode_base64(secret_block, 4096).ok_or(SrpError::WrongSecretBlock)?;
        constant_time::verify_slices_are_equal(&block, &self.secret_block).map_err(|_| SrpError::WrongSecretBlock)?;
        if !is_cognito_timestamp(timestamp) {
            return Err(SrpError::MalformedTimestamp);
        }
        let signature = decode_base64(signature, 256).ok_or(SrpError::WrongSignature)?;
        let key = hmac::Key::new(hmac::HMAC_SHA256, &self.key);
        let message = claim_message(&self.pool_name, &self.user_id_for_srp, &self.secret_block, timestamp);
        hmac::verify(&key, &message, &signature).map_err(|_| SrpError::WrongSignature)
    }

    /// The secret block this challenge issued, base64: the key under which to keep it.
    pub fn secret_block(&self) -> String {
        STANDARD.encode(&self.secret_block)
    }

    pub fn user_id_for_srp(&self) -> &str {
        &self.user_id_for_srp
    }
}

/// Challenges in flight, keyed by their secret block, each with what the caller needs to
/// finish the sign-in (pool, client, user). Bounded: expired entries go first, then the oldest.
#[derive(Debug)]
pub struct ChallengeBook<C> {
    entries: ExpiringMap<(PendingChallenge, C)>,
    lifetime_ms: i64,
}

impl<C> ChallengeBook<C> {
    /// A book holding at most `capacity` challenges, each valid for `lifetime_ms`
    /// (Cognito's sign-in sessions last three minutes by default).
    pub fn new(capacity: usize, lifetime_ms: i64) -> Self {
        ChallengeBook { entries: ExpiringMap::new(capacity), lifetime_ms }
    }

    /// Keeps a challenge until `now_ms + lifetime`.
    pub fn insert(&mut self, pending: PendingChallenge, context: C, now_ms: i64) {
        self.entries.insert(pending.secret_block(), (pending, context), now_ms + self.lifetime_ms, now_ms);
    }

    /// Removes and returns the challenge issued with this secret block, unless it expired.
    /// A challenge is answered once, right or wrong, as Cognito's are.
    pub fn take(&mut self, secret_block: &str, now_ms: i64) -> Option<(PendingChallenge, C)> {
        self.entries.take(secret_block, now_ms)
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

/// The client side: the private `a` and public `A` of one sign-in.
pub struct SrpClient {
    pool_id: String,
    a: BigUint,
    a_pub: BigUint,
}

impl std::fmt::Debug for SrpClient {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SrpClient").field("pool_id", &self.pool_id).finish_non_exhaustive()
    }
}

impl SrpClient {
    pub fn new(pool_id: &str) -> Result<Self, SrpError> {
        let group = Group::get();
        loop {
            let a = BigUint::from_bytes_be(&random_bytes::<PRIVATE_BYTES>()?) % &group.n;
            if a.bits() != 0 {
                return Ok(Self::with_private(pool_id, a));
            }
        }
    }

    fn with_private(pool_id: &str, a: BigUint) -> Self {
        let group = Group::get();
        let a_pub = group.g.modpow(&a, &group.n);
        SrpClient { pool_id: pool_id.to_string(), a, a_pub }
    }

    /// `SRP_A` for `InitiateAuth`, as lowercase hex.
    pub fn srp_a(&self) -> String {
        self.a_pub.to_str_radix(16)
    }

    /// `PASSWORD_CLAIM_SIGNATURE` (base64) for the `PASSWORD_VERIFIER` challenge, signing
    /// `timestamp` (see [`timestamp`]).
    pub fn password_claim_signature(
        &self,
        user_id_for_srp: &str,
        password: &str,
        challenge: &ChallengeParameters,
        timestamp: &str,
    ) -> Result<String, SrpError> {
        let group = Group::get();
        let b_pub = parse_hex(&challenge.srp_b, MAX_SRP_A_HEX).ok_or(SrpError::MalformedB)?;
        if (&b_pub % &group.n).bits() == 0 {
            return Err(SrpError::MalformedB);
        }
        let salt = parse_hex(&challenge.salt, MAX_SRP_A_HEX).ok_or(SrpError::MalformedSalt)?;
        let secret_block = decode_base64(&challenge.secret_block, 4096).ok_or(SrpError::WrongSecretBlock)?;
        let u = scrambler(&self.a_pub, &b_pub);
        if u.bits() == 0 {
            return Err(SrpError::ZeroU);
        }
        let x = private_key_x(&self.pool_id, user_id_for_srp, password, &salt);
        // S = (B − k·g^x)^(a + u·x) mod N, kept non-negative.
        let kgx = (&group.k * group.g.modpow(&x, &group.n)) % &group.n;
        let base = ((&b_pub % &group.n) + &group.n - kgx) % &group.n;
        let s = base.modpow(&(&self.a + &u * &x), &group.n);
        let key = hmac::Key::new(hmac::HMAC_SHA256, &session_key(&s, &u));
        let message = claim_message(pool_name(&self.pool_id), user_id_for_srp, &secret_block, timestamp);
        Ok(STANDARD.encode(hmac::sign(&key, &message).as_ref()))
    }
}

/// The part of a pool id after `_` (`us-east-1_AbCdEfGhI` → `AbCdEfGhI`), which Cognito mixes
/// into `x` and the claim.
pub fn pool_name(pool_id: &str) -> &str {
    pool_id.split_once('_').map(|(_, name)| name).unwrap_or(pool_id)
}

/// Cognito's `TIMESTAMP` for a moment in Unix seconds: `Tue Nov 3 09:05:07 UTC 2026`, the day
/// of the month not padded. A moment `time` cannot represent (beyond year 9999) is the epoch.
pub fn timestamp(unix_secs: i64) -> String {
    let at = time::OffsetDateTime::from_unix_timestamp(unix_secs).unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    format!(
        "{} {} {} {:02}:{:02}:{:02} UTC {}",
        WEEKDAYS[usize::from(at.weekday().number_days_from_sunday())],
        MONTHS[usize::from(u8::from(at.month()) - 1)],
        at.day(),
        at.hour(),
        at.minute(),
        at.second(),
        at.year()
    )
}

/// True when `text` has exactly the shape Cognito signs: weekday, month, unpadded day,
/// `HH:MM:SS`, `UTC`, four-digit year, single spaces.
pub fn is_cognito_timestamp(text: &str) -> bool {
    let parts: Vec<&str> = text.split(' ').collect();
    let [weekday, month, day, time, zone, year] = parts.as_slice() else { return false };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    let two_digits_below = |s: &str, limit: u32| s.len() == 2 && digits(s) && s.parse::<u32>().is_ok_and(|n| n < limit);
    let time_ok = match time.split(':').collect::<Vec<_>>().as_slice() {
        [h, m, s] => two_digits_below(h, 24) && two_digits_below(m, 60) && two_digits_below(s, 60),
        _ => false,
    };
    let Some(month_index) = MONTHS.iter().position(|m| m == month) else { return false };
    let day_ok = digits(day)
        && !day.starts_with('0')
        && day.len() <= 2
        && day.parse::<u32>().is_ok_and(|d| (1..=days_in_month(month_index)).contains(&d));
    WEEKDAYS.contains(weekday) && day_ok && time_ok && *zone == "UTC" && year.len() == 4 && digits(year)
}

fn days_in_month(month_index: usize) -> u32 {
    // February may have 29 days (2000 was a leap year); the year is not checked against it.
    let month = u8::try_from(month_index + 1).ok().and_then(|m| time::Month::try_from(m).ok());
    month.map_or(31, |m| u32::from(m.length(2000)))
}

// ---- the arithmetic ------------------------------------------------------------------------

struct Group {
    n: BigUint,
    g: BigUint,
    k: BigUint,
}

impl Group {
    fn get() -> &'static Group {
        static GROUP: std::sync::OnceLock<Group> = std::sync::OnceLock::new();
        GROUP.get_or_init(|| {
            let n = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap_or_default();
            let g = BigUint::from(G);
            let k = hash_to_int(&[&padded(&n), &padded(&g)]);
            Group { n, g, k }
        })
    }
}

/// The big-endian bytes the standard clients hash for a number: minimal, with a zero byte in
/// front when the top bit is set (Java's `BigInteger.toByteArray`, the JS SDK's `padHex`).
fn padded(n: &BigUint) -> Vec<u8> {
    let bytes = n.to_bytes_be();
    if bytes.first().is_some_and(|b| b & 0x80 != 0) {
        let mut with_sign = Vec::with_capacity(bytes.len() + 1);
        with_sign.push(0);
        with_sign.extend_from_slice(&bytes);
        with_sign
    } else {
        bytes
    }
}

fn sha256(parts: &[&[u8]]) -> digest::Digest {
    let mut ctx = digest::Context::new(&digest::SHA256);
    for part in parts {
        ctx.update(part);
    }
    ctx.finish()
}

fn hash_to_int(parts: &[&[u8]]) -> BigUint {
    BigUint::from_bytes_be(sha256(parts).as_ref())
}

/// u = H(pad(A) | pad(B))
fn scrambler(a_pub: &BigUint, b_pub: &BigUint) -> BigUint {
    hash_to_int(&[&padded(a_pub), &padded(b_pub)])
}

/// x = H(pad(salt) | H(poolName | userIdForSrp | ":" | password))
fn private_key_x(pool_id: &str, user_id_for_srp: &str, password: &str, salt: &BigUint) -> BigUint {
    let inner = sha256(&[pool_name(pool_id).as_bytes(), user_id_for_srp.as_bytes(), b":", password.as_bytes()]);
    hash_to_int(&[&padded(salt), inner.as_ref()])
}

struct KeyLength;

impl hkdf::KeyType for KeyLength {
    fn len(&self) -> usize {
        KEY_LEN
    }
}

/// HKDF-SHA256 of pad(S) with pad(u) as the salt and Cognito's info string, 16 bytes.
fn session_key(s: &BigUint, u: &BigUint) -> [u8; KEY_LEN] {
    let mut key = [0u8; KEY_LEN];
    let prk = hkdf::Salt::new(hkdf::HKDF_SHA256, &padded(u)).extract(&padded(s));
    // 16 bytes is far below HKDF-SHA256's limit of 255 blocks, so expanding cannot fail.
    if let Ok(okm) = prk.expand(&[KEY_INFO], KeyLength) {
        let _ = okm.fill(&mut key);
    }
    key
}

fn claim_message(pool_name: &str, user_id_for_srp: &str, secret_block: &[u8], timestamp: &str) -> Vec<u8> {
    [pool_name.as_bytes(), user_id_for_srp.as_bytes(), secret_block, timestamp.as_bytes()].concat()
}

fn random_bytes<const LEN: usize>() -> Result<[u8; LEN], SrpError> {
    let mut bytes = [0u8; LEN];
    rand::fill(&mut bytes).map_err(|_| SrpError::Random)?;
    Ok(bytes)
}

fn parse_hex(text: &str, max_len: usize) -> Option<BigUint> {
    if text.is_empty() || text.len() > max_len || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
        return None;
    }
    BigUint::parse_bytes(text.as_bytes(), 16)
}

fn decode_base64(text: &str, max_len: usize) -> Option<Vec<u8>> {
    if text.len() > max_len {
        return None;
    }
    STANDARD.decode(text).ok()
}

mod hex {
    pub fn encode(bytes: &[u8]) -> String {
        bytes.iter().map(|b| format!("{b:02x}")).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const POOL: &str = "us-east-1_AbCdEfGhI";
    const USER: &str = "0f5e3c1a-2b4d-4e6f-8a9b-0c1d2e3f4a5b";

    fn sign_in(verifier: &PasswordVerifier, password: &str) -> Result<(), SrpError> {
        let client = SrpClient::new(POOL)?;
        let (challenge, pending) = begin_challenge(POOL, USER, verifier, &client.srp_a())?;
        let stamp = timestamp(1_793_696_707);
        let signature = client.password_claim_signature(USER, password, &challenge, &stamp)?;
        pending.verify(&challenge.secret_block, &stamp, &signature)
    }

    #[test]
    fn the_right_password_signs_in() {
        let verifier = PasswordVerifier::new(POOL, USER, "Correct-horse-9").unwrap();
        assert_eq!(sign_in(&verifier, "Correct-horse-9"), Ok(()));
    }

    #[test]
    fn a_wrong_password_does_not() {
        let verifier = PasswordVerifier::new(POOL, USER, "Correct-horse-9").unwrap();
        assert_eq!(sign_in(&verifier, "Correct-horse-8"), Err(SrpError::WrongSignature));
    }

    #[test]
    fn the_claim_is_bound_to_the_pool_and_the_user() {
        let verifier = PasswordVerifier::new(POOL, USER, "Correct-horse-9").unwrap();
        let client = SrpClient::new("us-east-1_Other1234").unwrap();
        let (challenge, pending) = begin_challenge(POOL, USER, &verifier, &client.srp_a()).unwrap();
        let stamp = timestamp(0);
        let signature = client.password_claim_signature(USER, "Correct-horse-9", &challenge, &stamp).unwrap();
        assert_eq!(pending.verify(&challenge.secret_block, &stamp, &signature), Err(SrpError::WrongSignature));
    }

    #[test]
    fn the_claim_must_carry_the_issued_block_and_a_well_formed_timestamp() {
        let verifier = PasswordVerifier::new(POOL, USER, "Correct-horse-9").unwrap();
        let client = SrpClient::new(POOL).unwrap();
        let (challenge, pending) = begin_challenge(POOL, USER, &verifier, &client.srp_a()).unwrap();
        let padded_day = "Tue Nov 03 09:05:07 UTC 2026";
        let signature = client.password_claim_signature(USER, "Correct-horse-9", &challenge, padded_day).unwrap();
        assert_eq!(pending.verify(&challenge.secret_block, padded_day, &signature), Err(SrpError::MalformedTimestamp));
        let other_block = STANDARD.encode([7u8; SECRET_BLOCK_BYTES]);
        assert_eq!(pending.verify(&other_block, padded_day, &signature), Err(SrpError::WrongSecretBlock));
        assert_eq!(pending.verify("not base64!", padded_day, &signature), Err(SrpError::WrongSecretBlock));
        let stamp = "Tue Nov 3 09:05:07 UTC 2026";
        assert_eq!(pending.verify(&challenge.secret_block, stamp, "%%%"), Err(SrpError::WrongSignature));
    }

    #[test]
    fn refuses_a_public_value_that_is_a_multiple_of_n() {
        let verifier = PasswordVerifier::new(POOL, USER, "pw").unwrap();
        let n = &Group::get().n;
        for a in [BigUint::ZERO, n.clone(), n * 3u32] {
            let hex = if a.bits() == 0 { "0".to_string() } else { a.to_str_radix(16) };
            assert_eq!(begin_challenge(POOL, USER, &verifier, &hex).err(), Some(SrpError::IllegalA), "{hex}");
        }
        for bad in ["", "xyz", "12 34", &"f".repeat(MAX_SRP_A_HEX + 1)] {
            assert_eq!(begin_challenge(POOL, USER, &verifier, bad).err(), Some(SrpError::MalformedA));
        }
    }

    #[test]
    fn pads_like_the_standard_clients() {
        assert_eq!(padded(&BigUint::from(0x7fu32)), [0x7f]);
        assert_eq!(padded(&BigUint::from(0x80u32)), [0x00, 0x80]);
        assert_eq!(padded(&BigUint::from(0xabcu32)), [0x0a, 0xbc]);
        assert_eq!(padded(&BigUint::ZERO), [0x00]);
        // k = H(00 | N | 02), as every client computes it.
        let n_bytes = BigUint::parse_bytes(N_HEX.as_bytes(), 16).unwrap().to_bytes_be();
        let expected = hash_to_int(&[&[0u8], &n_bytes, &[2u8]]);
        assert_eq!(Group::get().k, expected);
        assert_eq!(Group::get().n.bits(), 3072);
    }

    #[test]
    fn salts_are_written_in_their_padded_form() {
        let verifier = PasswordVerifier::with_salt(POOL, USER, "pw", &BigUint::from(0x8000u32));
        assert_eq!(verifier.salt, "008000");
        let verifier = PasswordVerifier::with_salt(POOL, USER, "pw", &BigUint::from(0x800u32));
        assert_eq!(verifier.salt, "0800");
    }

    #[test]
    fn formats_timestamps_as_cognito_does() {
        assert_eq!(timestamp(0), "Thu Jan 1 00:00:00 UTC 1970");
        assert_eq!(timestamp(1_793_696_707), "Tue Nov 3 09:05:07 UTC 2026");
        assert_eq!(timestamp(951_782_400), "Tue Feb 29 00:00:00 UTC 2000");
        assert_eq!(timestamp(1_767_225_599), "Wed Dec 31 23:59:59 UTC 2025");
        for good in ["Tue Nov 3 09:05:07 UTC 2026", "Sun Dec 31 23:59:59 UTC 2023"] {
            assert!(is_cognito_timestamp(good), "{good}");
        }
        for bad in [
            "Tue Nov 03 09:05:07 UTC 2026",
            "Tue Nov  3 09:05:07 UTC 2026",
            "Tue Nov 3 9:05:07 UTC 2026",
            "Tue Nov 3 09:05:07 GMT 2026",
            "Tue Nov 3 09:05:07 UTC 26",
            "Tue Nov 31 09:05:07 UTC 2026",
            "Tue Nov 3 24:00:00 UTC 2026",
            "Tuesday Nov 3 09:05:07 UTC 2026",
            "Tue Nov 3 09:05:07 UTC 2026 ",
            "",
        ] {
            assert!(!is_cognito_timestamp(bad), "{bad}");
        }
    }

    #[test]
    fn the_book_hands_out_each_challenge_once_and_forgets_expired_ones() {
        let verifier = PasswordVerifier::new(POOL, USER, "pw").unwrap();
        let client = SrpClient::new(POOL).unwrap();
        let mut book = ChallengeBook::new(2, 1_000);
        let mut blocks = Vec::new();
        for now in [0, 10, 20] {
            let (challenge, pending) = begin_challenge(POOL, USER, &verifier, &client.srp_a()).unwrap();
            book.insert(pending, now, now);
            blocks.push(challenge.secret_block);
        }
        assert_eq!(book.len(), 2, "the oldest made room");
        assert!(book.take(&blocks[0], 30).is_none());
        assert_eq!(book.take(&blocks[1], 30).map(|(_, c)| c), Some(10));
        assert!(book.take(&blocks[1], 30).is_none(), "single use");
        assert!(book.take(&blocks[2], 1_020).is_none(), "expired");
        assert!(book.is_empty());
    }

    /// pycognito's client (tests/srp/pycognito_client.py) in a child process, one JSON line
    /// per message. `None`, with a note, when there is no python3 to run it.
    struct Pycognito {
        child: std::process::Child,
        stdin: std::process::ChildStdin,
        stdout: std::io::BufReader<std::process::ChildStdout>,
    }

    impl Pycognito {
        fn start() -> Option<Pycognito> {
            use std::process::{Command, Stdio};
            let script = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/srp/pycognito_client.py");
            let spawned = Command::new("python3")
                .arg(script)
                .stdin(Stdio::piped())
                .stdout(Stdio::piped())
                .stderr(Stdio::piped())
                .spawn();
            match spawned {
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                    eprintln!("note: python3 is not installed; skipping the SRP test against pycognito");
                    None
                }
                Err(e) => panic!("cannot start python3: {e}"),
                Ok(mut child) => {
                    let stdin = child.stdin.take().unwrap();
                    let stdout = std::io::BufReader::new(child.stdout.take().unwrap());
                    Some(Pycognito { child, stdin, stdout })
                }
            }
        }

        fn exchange(&mut self, message: serde_json::Value) -> serde_json::Value {
            use std::io::{BufRead, Read, Write};
            writeln!(self.stdin, "{message}").unwrap();
            self.stdin.flush().unwrap();
            let mut line = String::new();
            self.stdout.read_line(&mut line).unwrap();
            if line.is_empty() {
                let mut stderr = String::new();
                if let Some(mut err) = self.child.stderr.take() {
                    let _ = err.read_to_string(&mut stderr);
                }
                panic!(
                    "pycognito's client stopped (is pycognito installed? `python3 -m pip install pycognito`):\n{stderr}"
                );
            }
            serde_json::from_str(&line).unwrap()
        }

        fn srp_a(&mut self, password: &str, private_a: Option<&BigUint>) -> String {
            let mut hello =
                serde_json::json!({ "pool_id": POOL, "username": "learner@example.com", "password": password });
            if let Some(a) = private_a {
                hello["private_a"] = a.to_str_radix(16).into();
            }
            self.exchange(hello)["SRP_A"].as_str().unwrap().to_string()
        }

        fn answer(&mut self, challenge: &ChallengeParameters, timestamp: Option<&str>) -> (String, String, String) {
            let mut message = serde_json::json!({
                "USER_ID_FOR_SRP": USER, "SALT": challenge.salt, "SRP_B": challenge.srp_b,
                "SECRET_BLOCK": challenge.secret_block, "USERNAME": USER,
            });
            if let Some(t) = timestamp {
                message["TIMESTAMP"] = t.into();
            }
            let answer = self.exchange(message);
            let field = |name: &str| answer[name].as_str().unwrap().to_string();
            (field("PASSWORD_CLAIM_SECRET_BLOCK"), field("TIMESTAMP"), field("PASSWORD_CLAIM_SIGNATURE"))
        }
    }

    impl Drop for Pycognito {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    #[test]
    fn pycognito_signs_in_against_the_server() {
        let Some(mut python) = Pycognito::start() else { return };
        // Enough rounds that A, B, S, u and the salt each start with a high bit in some of them.
        for round in 0..12 {
            let password = format!("Pa55-word-{round}");
            let verifier = PasswordVerifier::new(POOL, USER, &password).unwrap();
            let srp_a = python.srp_a(&password, None);
            let (challenge, pending) = begin_challenge(POOL, USER, &verifier, &srp_a).unwrap();
            let (block, stamp, signature) = python.answer(&challenge, None);
            assert!(is_cognito_timestamp(&stamp), "{stamp}");
            assert_eq!(pending.verify(&block, &stamp, &signature), Ok(()), "round {round}");
        }
    }

    #[test]
    fn pycognito_with_a_wrong_password_is_refused() {
        let Some(mut python) = Pycognito::start() else { return };
        let verifier = PasswordVerifier::new(POOL, USER, "Pa55-word").unwrap();
        let srp_a = python.srp_a("Pa55-word!", None);
        let (challenge, pending) = begin_challenge(POOL, USER, &verifier, &srp_a).unwrap();
        let (block, stamp, signature) = python.answer(&challenge, None);
        assert_eq!(pending.verify(&block, &stamp, &signature), Err(SrpError::WrongSignature));
    }

    #[test]
    fn the_client_signs_byte_for_byte_as_pycognito_does() {
        let Some(mut python) = Pycognito::start() else { return };
        let stamp = timestamp(1_793_696_707);
        for round in 0..6 {
            let password = format!("Pa55-word-{round}");
            let verifier = PasswordVerifier::new(POOL, USER, &password).unwrap();
            let a = BigUint::from_bytes_be(&random_bytes::<PRIVATE_BYTES>().unwrap()) % &Group::get().n;
            let client = SrpClient::with_private(POOL, a.clone());
            assert_eq!(python.srp_a(&password, Some(&a)), client.srp_a());
            let (challenge, _) = begin_challenge(POOL, USER, &verifier, &client.srp_a()).unwrap();
            let ours = client.password_claim_signature(USER, &password, &challenge, &stamp).unwrap();
            let (_, _, theirs) = python.answer(&challenge, Some(&stamp));
            assert_eq!(ours, theirs, "round {round}");
        }
    }

    #[test]
    fn secrets_stay_out_of_debug_output() {
        let verifier = PasswordVerifier::new(POOL, USER, "pw").unwrap();
        let client = SrpClient::new(POOL).unwrap();
        let (_, pending) = begin_challenge(POOL, USER, &verifier, &client.srp_a()).unwrap();
        let shown = format!("{verifier:?} {client:?} {pending:?}");
        assert!(!shown.contains(&verifier.verifier) && !shown.contains(&verifier.salt), "{shown}");
        assert!(!shown.contains("key") && !shown.contains("secret_block"), "{shown}");
    }
}
