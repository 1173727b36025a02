//! The operations' outputs as typed structs, written as Cognito writes them (members in
//! PascalCase, absent ones left out), and what an answer tells the room: [`Observes`].
//!
//! Inputs and outputs both say what they show of a learner's progress (a secret hash that
//! was checked, tokens issued, a client read, a user confirmed); the operation table collects
//! it beside the answer, so nothing reads the bytes of a request or an answer for it.

use std::collections::BTreeMap;

use serde::Serialize;

use super::model::User;
use crate::locallab::machinery::clock::epoch_secs;

/// Something an operation that succeeded shows of the learner's progress.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Observed {
    /// The call carried a secret hash, and it checked out.
    SecretHash,
    /// Tokens were issued (an `AuthenticationResult` with an ID token).
    TokensIssued,
    /// The app client's settings were read.
    ClientDescribed,
    /// A user was confirmed.
    UserConfirmed,
}

/// What an input or an output shows; most show nothing.
pub trait Observes {
    fn observed(&self) -> Option<Observed> {
        None
    }
}

/// `{}`: the answer of the operations that return nothing.
#[derive(Serialize)]
pub struct Empty {}

impl Observes for Empty {}

/// `{}` after a user was confirmed (`ConfirmSignUp`, `AdminConfirmSignUp`).
#[derive(Serialize)]
pub struct Confirmed {}

impl Observes for Confirmed {
    fn observed(&self) -> Option<Observed> {
        Some(Observed::UserConfirmed)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AttributeType {
    pub name: String,
    pub value: String,
}

pub fn attribute_list(attributes: &BTreeMap<String, String>) -> Vec<AttributeType> {
    attributes.iter().map(|(name, value)| AttributeType { name: name.clone(), value: value.clone() }).collect()
}

/// What every listing of a user says about it besides its attributes.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserSummary {
    pub username: String,
    pub user_create_date: f64,
    pub user_last_modified_date: f64,
    pub enabled: bool,
    pub user_status: &'static str,
}

impl UserSummary {
    fn of(user: &User) -> UserSummary {
        UserSummary {
            username: user.username.clone(),
            user_create_date: epoch_secs(user.created),
            user_last_modified_date: epoch_secs(user.modified),
            enabled: user.enabled,
            user_status: user.status.as_str(),
        }
    }
}

/// A user as `AdminCreateUser` and `ListUsers` show it (`Attributes`).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct UserType {
    #[serde(flatten)]
    pub summary: UserSummary,
    pub attributes: Vec<AttributeType>,
}

impl UserType {
    pub fn of(user: &User) -> UserType {
        UserType { summary: UserSummary::of(user), attributes: attribute_list(&user.attributes) }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminCreateUserOutput {
    pub user: UserType,
}

impl Observes for AdminCreateUserOutput {}

/// `AdminGetUser`: the user, its attributes under `UserAttributes`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AdminGetUserOutput {
    #[serde(flatten)]
    pub summary: UserSummary,
    pub user_attributes: Vec<AttributeType>,
}

impl Observes for AdminGetUserOutput {}

impl AdminGetUserOutput {
    pub fn of(user: &User) -> AdminGetUserOutput {
        AdminGetUserOutput { summary: UserSummary::of(user), user_attributes: attribute_list(&user.attributes) }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetUserOutput {
    pub username: String,
    pub user_attributes: Vec<AttributeType>,
}

impl Observes for GetUserOutput {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUsersOutput {
    pub users: Vec<UserType>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pagination_token: Option<String>,
}

impl Observes for ListUsersOutput {}

/// Where a code was sent ("a***@e***" by email).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeDeliveryDetails {
    pub destination: String,
    pub delivery_medium: &'static str,
    pub attribute_name: &'static str,
}

impl CodeDeliveryDetails {
    pub fn email(email: &str) -> CodeDeliveryDetails {
        CodeDeliveryDetails {
            destination: super::errors::masked_destination(email),
            delivery_medium: "EMAIL",
            attribute_name: "email",
        }
    }
}

/// `ForgotPassword` and `ResendConfirmationCode`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct CodeSent {
    pub code_delivery_details: CodeDeliveryDetails,
}

impl Observes for CodeSent {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct SignUpOutput {
    pub user_confirmed: bool,
    pub user_sub: String,
    pub code_delivery_details: CodeDeliveryDetails,
}

impl Observes for SignUpOutput {}

/// A sign-in's answer: tokens, or the next challenge.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthOutput {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub challenge_name: Option<&'static str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    pub challenge_parameters: BTreeMap<&'static str, String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub authentication_result: Option<AuthenticationResult>,
}

impl Observes for AuthOutput {
    fn observed(&self) -> Option<Observed> {
        self.authentication_result.as_ref().map(|_| Observed::TokensIssued)
    }
}

impl AuthOutput {
    pub fn tokens(result: AuthenticationResult) -> AuthOutput {
        AuthOutput {
            challenge_name: None,
            session: None,
            challenge_parameters: BTreeMap::new(),
            authentication_result: Some(result),
        }
    }

    pub fn challenge(
        name: &'static str,
        session: Option<String>,
        parameters: BTreeMap<&'static str, String>,
    ) -> AuthOutput {
        AuthOutput {
            challenge_name: Some(name),
            session,
            challenge_parameters: parameters,
            authentication_result: None,
        }
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct AuthenticationResult {
    pub access_token: String,
    pub expires_in: i64,
    pub token_type: &'static str,
    pub id_token: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub refresh_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct GetSigningCertificateOutput {
    pub certificate: String,
}

impl Observes for GetSigningCertificateOutput {}
