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
        let header = URL_SAFE_NO_PAD.encode(serde_json::to_vec(&header)?);
        let jwks = JwkSet { keys: vec![jwk] };
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

/// The pool's key from its PEM: PKCS#8 (what walab writes) or PKCS#1.
fn rsa_key_pair(pem_text: &str) -> Option<aws_lc_rs::rsa::KeyPair> {
    let der = pem::parse(pem_text).ok()?;
    aws_lc_rs::rsa::KeyPair::from_pkcs8(der.contents())
        .or_else(|_| aws_lc_rs::rsa::KeyPair::from_der(der.contents()))
        .ok()
}
