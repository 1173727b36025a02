//! The Cognito authorizer against forged, altered and wrong tokens on a protected, deployed
//! `GET /`: every one is refused with API Gateway's 401, and the real ID token still works.

use crate::common;

use crate::common::TestLab;
use crate::common::apigw::*;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::{Algorithm, EncodingKey, Header};
use serde_json::{Value, json};

fn b64(value: &Value) -> String {
    URL_SAFE_NO_PAD.encode(value.to_string())
}

/// The real token's header and signature around a different payload.
fn with_payload(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!("{}.{}.{}", parts[0], b64(claims), parts[2])
}

fn signed(claims: &Value, alg: Algorithm, kid: &str, key: &EncodingKey) -> String {
    let mut header = Header::new(alg);
    header.kid = Some(kid.to_string());
    jsonwebtoken::encode(&header, claims, key).expect("sign")
}

#[tokio::test]
async fn forged_tokens_are_all_unauthorized_and_the_real_one_is_not() {
    let lab = TestLab::start().await;
    let (api, _) = protect(&lab).await;
    deploy(&lab, &api).await;

    let claims = id_claims(&lab);
    let real = sign(&lab, &claims);
    let p = pool(&lab);
    let kid = walab::locallab::cognito::signer(&lab.account().cognito, &p.id).unwrap().kid.clone();
    let pool_key = EncodingKey::from_rsa_pem(common::signing_key().expose().as_bytes()).unwrap();
    let foreign_pem = walab::locallab::cognito::generate_signing_key().unwrap();
    let foreign_key = EncodingKey::from_rsa_pem(foreign_pem.expose().as_bytes()).unwrap();
    // The pool's public key as an attacker would fetch it, used as an HMAC secret.
    let public_pem = {
        use aws_lc_rs::signature::KeyPair;
        let der = pem::parse(common::signing_key().expose()).unwrap();
        let pair = aws_lc_rs::rsa::KeyPair::from_pkcs8(der.contents()).unwrap();
        pem::encode(&pem::Pem::new("RSA PUBLIC KEY", pair.public_key().as_ref().to_vec()))
    };
    let jwks =
        serde_json::to_string(&walab::locallab::cognito::signer(&lab.account().cognito, &p.id).unwrap().jwks).unwrap();
    let real_parts: Vec<&str> = real.split('.').collect();
    let with = |key: &str, value: Value| {
        let mut c = claims.clone();
        c[key] = value;
        c
    };
    let now = lab.lab().clock.now_secs();

    let unauthorized: Vec<(&str, String)> = vec![
        (
            "alg none, no signature",
            format!("{}.{}.", b64(&json!({"alg": "none", "typ": "JWT", "kid": kid})), real_parts[1]),
        ),
        (
            "alg none with the real signature",
            format!("{}.{}.{}", b64(&json!({"alg": "none", "kid": kid})), real_parts[1], real_parts[2]),
        ),
        (
            "HS256 keyed with the public key PEM",
            signed(&claims, Algorithm::HS256, &kid, &EncodingKey::from_secret(public_pem.as_bytes())),
        ),
        (
            "HS256 keyed with the JWKS",
            signed(&claims, Algorithm::HS256, &kid, &EncodingKey::from_secret(jwks.as_bytes())),
        ),
        ("RS512 with the pool's key", signed(&claims, Algorithm::RS512, &kid, &pool_key)),
        ("tampered payload", with_payload(&real, &with("email", json!("admin@example.com")))),
        ("tampered exp", with_payload(&real, &with("exp", json!(now + 86_400 * 365)))),
        ("foreign key with the pool's kid", signed(&claims, Algorithm::RS256, &kid, &foreign_key)),
        ("unknown kid", signed(&claims, Algorithm::RS256, "not-the-pools-kid", &pool_key)),
        ("no kid", jsonwebtoken::encode(&Header::new(Algorithm::RS256), &claims, &pool_key).unwrap()),
        (
            "another pool's issuer",
            sign(&lab, &with("iss", json!("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other1234"))),
        ),
        ("another app client", sign(&lab, &with("aud", json!("someotherclient")))),
        ("not yet valid", sign(&lab, &with("nbf", json!(now + 600)))),
        (
            "no exp",
            sign(&lab, &{
                let mut c = claims.clone();
                c.as_object_mut().unwrap().remove("exp");
                c
            }),
        ),
        ("token_use refresh", sign(&lab, &with("token_use", json!("refresh")))),
        ("truncated", real[..real.len() - 10].to_string()),
        ("two segments", format!("{}.{}", real_parts[0], real_parts[1])),
        ("four segments", format!("{real}.{}", real_parts[2])),
        ("empty", String::new()),
        ("only dots", "..".to_string()),
        ("Bearer and nothing", "Bearer ".to_string()),
        ("20 KB of junk", "A".repeat(20 * 1024)),
        ("20 KB of junk in three parts", format!("{0}.{0}.{0}", "eyJ".repeat(2300))),
        ("not base64", "!!!.???.***".to_string()),
        ("the access token", access_token(&lab)),
        ("the access token with Bearer", format!("Bearer {}", access_token(&lab))),
        ("Bearer and a forged token", format!("Bearer {}", signed(&claims, Algorithm::RS256, &kid, &foreign_key))),
    ];
    for (case, token) in &unauthorized {
        let answer = get(&lab, "/Dev/?id=1", Some(token)).await;
        assert_eq!((answer.status, answer.body.as_str()), (401, UNAUTHORIZED), "{case}");
        assert_eq!(answer.error_type.as_deref(), Some("UnauthorizedException"), "{case}");
        assert!(answer.request_id, "{case}");
    }

    // Expired, but genuine: API Gateway says why.
    let mut old = claims.clone();
    old["iat"] = json!(now - 7200);
    old["auth_time"] = json!(now - 7200);
    old["exp"] = json!(now - 3600);
    let expired = sign(&lab, &old);
    let answer = get(&lab, "/Dev/?id=1", Some(&expired)).await;
    assert_eq!((answer.status, answer.body.as_str()), (401, EXPIRED));
    assert_eq!(answer.error_type.as_deref(), Some("UnauthorizedException"));

    let answer = get(&lab, "/Dev/?id=1", Some(&real)).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, MESSI));
    let answer = get(&lab, "/Dev/?id=1", Some(&format!("Bearer {real}"))).await;
    assert_eq!((answer.status, answer.body.as_str()), (200, MESSI));
}
