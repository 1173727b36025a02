//! A pool's signing key: generated once, parsed once when the lab loads it, and used to sign
//! every token the pool issues and to publish its JWKS.

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use jsonwebtoken::jwk::{Jwk, JwkSet, KeyAlgorithm, PublicKeyUse};
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::Value;

use super::model::UserPool;
use crate::secret::Secret;

/// Generates a pool signing key (RSA 2048, PKCS#8 PEM).
pub fn generate_signing_key() -> Result<Secret, aws_lc_rs::error::Unspecified> {
    use aws_lc_rs::encoding::AsDer;
    let pair = aws_lc_rs::rsa::KeyPair::generate(aws_lc_rs::rsa::KeySize::Rsa2048)?;
    let der = pair.as_der()?;
    Ok(Secret::new(pem::encode(&pem::Pem::new("PRIVATE KEY", der.as_ref().to_vec()))))
}

/// A stable key id for a key: base64 of the SHA-256 of its public modulus (Cognito's kids
/// are 44 base64 characters too).
pub fn key_id(private_pem: &Secret) -> Option<String> {
    let jwk =
        Jwk::from_encoding_key(&EncodingKey::from_rsa_pem(private_pem.expose().as_bytes()).ok()?, Algorithm::RS256)
            .ok()?;
    let jsonwebtoken::jwk::AlgorithmParameters::RSA(rsa) = &jwk.algorithm else { return None };
    Some(STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, rsa.n.as_bytes()).as_ref()))
}

/// Ten years and the leap days in them: how long Cognito's signing certificates are valid.
const CERTIFICATE_DAYS: i64 = 3653;

/// The pool's signing certificate as `GetSigningCertificate` hands it out: X.509, self-signed
/// with the pool's own key, valid ten years from the pool's creation, as base64 DER (a PEM
/// body without its armour lines). Its parts are all derived from the pool and RSA signing is
/// deterministic, so every call gives the same certificate.
pub fn signing_certificate(pool: &UserPool) -> Result<String, rcgen::Error> {
    let pem = pem::parse(pool.key.private_pem.expose()).map_err(|_| rcgen::Error::CouldNotParseKeyPair)?;
    let key = rcgen::KeyPair::try_from(pem.contents())?;
    let mut params = rcgen::CertificateParams::default();
    params.distinguished_name = rcgen::DistinguishedName::new();
    params.distinguished_name.push(rcgen::DnType::CommonName, pool.id.as_str());
    let from = time::OffsetDateTime::from_unix_timestamp(pool.created.div_euclid(1000))
        .unwrap_or(time::OffsetDateTime::UNIX_EPOCH);
    params.not_before = from;
    params.not_after = from + time::Duration::days(CERTIFICATE_DAYS);
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, pool.id.as_bytes());
    // A positive serial number of 16 bytes.
    let mut serial = digest.as_ref()[..16].to_vec();
    serial[0] &= 0x7f;
    params.serial_number = Some(rcgen::SerialNumber::from_slice(&serial));
    let certificate = params.self_signed(&key)?;
    Ok(STANDARD.encode(certificate.der()))
}

/// A pool's key, parsed once.
pub struct Signer {
    pub kid: String,
    /// The private key, parsed (and validated) once: parsing an RSA key costs more than
    /// signing with it, and every sign-in signs two tokens.
    key: aws_lc_rs::rsa::KeyPair,
    /// The token header, base64url-encoded: the same for every token of the pool.
    header: String,
    pub jwks: JwkSet,
    /// The pool's JWKS with its keys decoded, for the authorizer.
    pub verifier: crate::token::Verifier,
    /// The pool's `iss`, which cannot change.
    pub issuer: String,
}

impl Signer {
    pub fn new(pool: &UserPool) -> Result<Signer, jsonwebtoken::errors::Error> {
        let encoding = EncodingKey::from_rsa_pem(pool.key.private_pem.expose().as_bytes())?;
        let mut jwk = Jwk::from_encoding_key(&encoding, Algorithm::RS256)?;
        jwk.common.key_id = Some(pool.key.kid.clone());
        jwk.common.public_key_use = Some(PublicKeyUse::Signature);
        jwk.common.key_algorithm = Some(KeyAlgorithm::RS256);
        let key = rsa_key_pair(pool.key.private_pem.expose()).ok_or_else(|| {
            jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidRsaKey(
                "the pool's signing key is not an RSA private key".into(),
            ))
        })?;
        let mut header = Header::new(Algorithm::RS256);
        header.kid = Some(pool.key.kid.clone());
        // Cognito's token headers carry no `typ`.
        header.typ = None;
        let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        let jwks = JwkSet { keys: vec![jwk, spare_key(&pool.key.kid)?] };
        let verifier = crate::token::Verifier::new(&jwks);
        Ok(Signer { kid: pool.key.kid.clone(), key, header, jwks, verifier, issuer: pool.issuer() })
    }

    /// An RS256 JWT of `claims` with the pool's `kid`, byte for byte what
    /// `jsonwebtoken::encode` makes, without parsing the key again.
    pub fn sign(&self, claims: &Value) -> Result<String, jsonwebtoken::errors::Error> {
        let claims = serde_json::to_vec(claims)?;
        let mut token = String::with_capacity(self.header.len() + claims.len() * 4 / 3 + 350);
        token.push_str(&self.header);
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&claims, &mut token);
        let mut signature = vec![0; self.key.public_modulus_len()];
        self.key
            .sign(
                &aws_lc_rs::signature::RSA_PKCS1_SHA256,
                &aws_lc_rs::rand::SystemRandom::new(),
                token.as_bytes(),
                &mut signature,
            )
            .map_err(|_| jsonwebtoken::errors::Error::from(jsonwebtoken::errors::ErrorKind::InvalidSignature))?;
        token.push('.');
        URL_SAFE_NO_PAD.encode_string(&signature, &mut token);
        Ok(token)
    }
}

/// The modulus of a published key no pool signs with. Cognito publishes two keys per pool and
/// signs with one; clients must pick the key by `kid`, so the lab publishes a second one too.
const SPARE_MODULUS: &str = "n5uXXcqgLpXQaBmwOsP-PipG4GtrUrjtle8pNNgvH1MnDKFvVI9XBDAD0k5NyYW3RXTecOnoXUZbNcxaxecBrtC5C84fOrnJRwb4bylhNK-OENq_cWIJx2CJ7OsLv9FAR6Jgdh7bPX4LpPWRq5mfPRsYV2G51tzDtjkDQWmXmNsg_XhbgvYnDY9XUhL-xXcK5UkcD28_p5V_xMl8L5aLQw052vbSphzruxiPyl_6RgILoj8yVb8Yo7MUm-puR199qrJxDKB_cWlOoXM0PFQlAO3x6Qjet7u8Al76IPdrfWTGtX4aoW2E5ML6z69FsbrElk5_byiPb4nPVNOdTp9f_w";

/// The pool's second, unused JWKS entry, with a key id of its own derived from the pool's.
fn spare_key(kid: &str) -> Result<Jwk, jsonwebtoken::errors::Error> {
    let spare_kid =
        STANDARD.encode(aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, format!("spare:{kid}").as_bytes()));
    let jwk = serde_json::json!({
        "alg": "RS256", "e": "AQAB", "kid": spare_kid, "kty": "RSA", "n": SPARE_MODULUS, "use": "sig",
    });
    Ok(serde_json::from_value(jwk)?)
}

/// The pool's key from its PEM: PKCS#8 (what walab writes) or PKCS#1.
fn rsa_key_pair(pem_text: &str) -> Option<aws_lc_rs::rsa::KeyPair> {
    let der = pem::parse(pem_text).ok()?;
    aws_lc_rs::rsa::KeyPair::from_pkcs8(der.contents())
        .or_else(|_| aws_lc_rs::rsa::KeyPair::from_der(der.contents()))
        .ok()
}
