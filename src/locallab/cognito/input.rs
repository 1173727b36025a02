//! The operations' inputs as typed structs, read from the JSON 1.1 body with Cognito's own
//! messages for a member that is missing or of the wrong type.

use std::collections::BTreeMap;

use serde::Deserialize;
use serde::de::DeserializeOwned;

use super::errors::invalid_parameter;
use super::output::{Observed, Observes};
use crate::locallab::machinery::wire::ApiError;

/// Reads an operation's input; a member of the wrong type is a `SerializationException`
/// naming where it is.
pub fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, ApiError> {
    let body = if body.iter().all(u8::is_ascii_whitespace) { b"{}".as_slice() } else { body };
    // serde would also read a struct from a JSON array; Cognito wants an object.
    if body.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        let message = match serde_json::from_slice::<serde::de::IgnoredAny>(body) {
            Ok(_) => "The request body must be a JSON object",
            Err(_) => "The request body is not valid JSON",
        };
        return Err(ApiError::bad_request("SerializationException", message));
    }
    // Read once as JSON, held to Cognito's limits, then typed: nothing an operation does
    // with its input grows with a member longer than Cognito allows.
    let value: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| ApiError::bad_request("SerializationException", "The request body is not valid JSON"))?;
    super::bounds::check(&value)?;
    serde_path_to_error::deserialize(value)
        .map_err(|e| ApiError::bad_request("SerializationException", coral_wording(&e.into_inner().to_string())))
}

/// How Cognito's JSON reader words a member of the wrong type.
fn coral_wording(serde_message: &str) -> String {
    let found = serde_message.strip_prefix("invalid type: ").unwrap_or_default();
    if found.starts_with("map") {
        "Start of structure or map found where not expected.".to_string()
    } else if found.starts_with("sequence") {
        "Start of list found where not expected.".to_string()
    } else if found.starts_with("integer") || found.starts_with("floating point") {
        "class com.amazon.coral.value.json.numbers.TruncatingBigNumber can not be converted to an String".to_string()
    } else if found.starts_with("boolean") {
        "class java.lang.Boolean can not be converted to an String".to_string()
    } else if found.starts_with("string") {
        "class java.lang.String can not be converted to an Boolean".to_string()
    } else {
        format!("The request body could not be read: {serde_message}")
    }
}

/// A required member, or Cognito's validation error naming it (`clientId` for `ClientId`).
pub fn required<'a>(value: &'a Option<String>, member: &str) -> Result<&'a str, ApiError> {
    value.as_deref().ok_or_else(|| {
        let mut chars = member.chars();
        let member: String = chars.next().map(|c| c.to_ascii_lowercase().to_string() + chars.as_str()).unwrap_or_default();
        invalid_parameter(format!(
            "1 validation error detected: Value null at '{member}' failed to satisfy constraint: Member must not be null"
        ))
    })
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    pub name: Option<String>,
    pub value: Option<String>,
}

/// `[{"Name": …, "Value": …}]` as a map; entries without a name or value are skipped.
pub fn attribute_map(attributes: &[AttributeType]) -> BTreeMap<String, String> {
    attributes.iter().filter_map(|a| Some((a.name.clone()?, a.value.clone()?))).collect()
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct InitiateAuth {
    pub client_id: Option<String>,
    pub user_pool_id: Option<String>,
    pub auth_flow: Option<String>,
    pub auth_parameters: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct RespondToAuthChallenge {
    pub client_id: Option<String>,
    pub user_pool_id: Option<String>,
    pub challenge_name: Option<String>,
    pub session: Option<String>,
    pub challenge_responses: BTreeMap<String, String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct SignUp {
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub secret_hash: Option<String>,
    pub user_attributes: Vec<AttributeType>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ConfirmSignUp {
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub confirmation_code: Option<String>,
    pub secret_hash: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct ResendConfirmationCode {
    pub client_id: Option<String>,
    pub username: Option<String>,
    pub secret_hash: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdminCreateUser {
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    pub user_attributes: Vec<AttributeType>,
    pub temporary_password: Option<String>,
    pub message_action: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdminSetUserPassword {
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    pub password: Option<String>,
    pub permanent: Option<bool>,
}

/// The input of the admin calls about one user (`AdminGetUser`, `AdminConfirmSignUp`, …).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdminUser {
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct AdminUpdateUserAttributes {
    pub user_pool_id: Option<String>,
    pub username: Option<String>,
    pub user_attributes: Option<Vec<AttributeType>>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct PoolInput {
    pub user_pool_id: Option<String>,
    pub client_id: Option<String>,
    pub max_results: Option<i64>,
    pub next_token: Option<String>,
}

#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "PascalCase", default)]
pub struct GetUser {
    pub access_token: Option<String>,
}

/// A secret hash among a sign-in's parameters (`SECRET_HASH`).
fn hash_in(parameters: &BTreeMap<String, String>) -> Option<Observed> {
    parameters.contains_key("SECRET_HASH").then_some(Observed::SecretHash)
}

impl Observes for InitiateAuth {
    fn observed(&self) -> Option<Observed> {
        hash_in(&self.auth_parameters)
    }
}

impl Observes for RespondToAuthChallenge {
    fn observed(&self) -> Option<Observed> {
        hash_in(&self.challenge_responses)
    }
}

/// The inputs with a `SecretHash` member show the caller holds the client's secret.
macro_rules! with_secret_hash_member {
    ($($input:ty),*) => {$(
        impl Observes for $input {
            fn observed(&self) -> Option<Observed> {
                self.secret_hash.as_ref().map(|_| Observed::SecretHash)
            }
        }
    )*};
}

with_secret_hash_member!(SignUp, ConfirmSignUp, ResendConfirmationCode);

impl Observes for AdminCreateUser {}
impl Observes for AdminSetUserPassword {}
impl Observes for AdminUser {}
impl Observes for AdminUpdateUserAttributes {}
impl Observes for PoolInput {}
impl Observes for GetUser {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_the_missing_member_as_cognito_does() {
        let input: SignUp = parse(br#"{"Username": "a@b.co"}"#).unwrap();
        let err = required(&input.client_id, "ClientId").unwrap_err();
        assert_eq!(err.code, "InvalidParameterException");
        assert!(err.message.contains("'clientId'"), "{}", err.message);
    }

    #[test]
    fn a_member_of_the_wrong_type_is_a_serialization_error() {
        let err = parse::<AdminSetUserPassword>(br#"{"Permanent": "yes"}"#).unwrap_err();
        assert_eq!(err.code, "SerializationException");
        assert_eq!(err.message, "class java.lang.String can not be converted to an Boolean");
        let err = parse::<SignUp>(br#"{"ClientId": 7}"#).unwrap_err();
        assert!(err.message.contains("can not be converted to an String"), "{}", err.message);
        assert_eq!(parse::<GetUser>(b"[1]").unwrap_err().message, "The request body must be a JSON object");
        assert_eq!(parse::<GetUser>(b"{").unwrap_err().message, "The request body is not valid JSON");
    }
}
