//! Reading a pool's configuration: `DescribeUserPool`, `DescribeUserPoolClient`,
//! `ListUserPools`, `ListUserPoolClients`, and its signing certificate.

use serde::Serialize;

use super::call::Call;
use super::errors::{client_not_found, invalid_parameter};
use super::input::{PoolInput, required};
use super::output::{Empty, GetSigningCertificateOutput, Observed, Observes};
use crate::locallab::machinery::clock::epoch_secs;
use crate::locallab::machinery::wire::ApiError;

/// `DescribeUserPool`.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeUserPoolOutput {
    user_pool: UserPoolType,
}

impl Observes for DescribeUserPoolOutput {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserPoolType {
    id: String,
    name: String,
    arn: String,
    policies: Policies,
    deletion_protection: &'static str,
    lambda_config: Empty,
    last_modified_date: f64,
    creation_date: f64,
    schema_attributes: [SchemaAttribute; 3],
    auto_verified_attributes: [&'static str; 1],
    username_attributes: [&'static str; 1],
    verification_message_template: VerificationMessageTemplate,
    mfa_configuration: &'static str,
    estimated_number_of_users: usize,
    email_configuration: EmailConfiguration,
    admin_create_user_config: AdminCreateUserConfig,
    domain: String,
    account_recovery_setting: AccountRecoverySetting,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Policies {
    password_policy: PasswordPolicy,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct PasswordPolicy {
    minimum_length: u32,
    require_uppercase: bool,
    require_lowercase: bool,
    require_numbers: bool,
    require_symbols: bool,
    temporary_password_validity_days: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct SchemaAttribute {
    name: &'static str,
    attribute_data_type: &'static str,
    mutable: bool,
    required: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    string_attribute_constraints: Option<StringAttributeConstraints>,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct StringAttributeConstraints {
    min_length: &'static str,
    max_length: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct VerificationMessageTemplate {
    default_email_option: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct EmailConfiguration {
    email_sending_account: &'static str,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AdminCreateUserConfig {
    allow_admin_create_user_only: bool,
    unused_account_validity_days: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct AccountRecoverySetting {
    recovery_mechanisms: [RecoveryOption; 1],
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct RecoveryOption {
    priority: u32,
    name: &'static str,
}

/// The pool's attribute schema: `sub`, `email` (required) and `email_verified`.
const SCHEMA: [SchemaAttribute; 3] = [
    SchemaAttribute {
        name: "sub",
        attribute_data_type: "String",
        mutable: false,
        required: true,
        string_attribute_constraints: Some(StringAttributeConstraints { min_length: "1", max_length: "2048" }),
    },
    SchemaAttribute {
        name: "email",
        attribute_data_type: "String",
        mutable: true,
        required: true,
        string_attribute_constraints: Some(StringAttributeConstraints { min_length: "0", max_length: "2048" }),
    },
    SchemaAttribute {
        name: "email_verified",
        attribute_data_type: "Boolean",
        mutable: true,
        required: false,
        string_attribute_constraints: None,
    },
];

pub fn describe_user_pool(call: &Call, input: PoolInput) -> Result<DescribeUserPoolOutput, ApiError> {
    let cognito = call.cognito;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    cognito.read(|s| {
        let pool = s.pool(pool_id)?;
        let users = s.users.with_prefix(&format!("{pool_id}/")).count();
        let user_pool = UserPoolType {
            id: pool.id.clone(),
            name: pool.name.clone(),
            arn: pool.arn.clone(),
            policies: Policies {
                password_policy: PasswordPolicy {
                    minimum_length: 8,
                    require_uppercase: true,
                    require_lowercase: true,
                    require_numbers: true,
                    require_symbols: true,
                    temporary_password_validity_days: 7,
                },
            },
            deletion_protection: "INACTIVE",
            lambda_config: Empty {},
            last_modified_date: epoch_secs(pool.modified),
            creation_date: epoch_secs(pool.created),
            schema_attributes: SCHEMA,
            auto_verified_attributes: ["email"],
            username_attributes: ["email"],
            verification_message_template: VerificationMessageTemplate { default_email_option: "CONFIRM_WITH_LINK" },
            mfa_configuration: "OFF",
            estimated_number_of_users: users,
            email_configuration: EmailConfiguration { email_sending_account: "COGNITO_DEFAULT" },
            admin_create_user_config: AdminCreateUserConfig {
                allow_admin_create_user_only: false,
                unused_account_validity_days: 7,
            },
            domain: pool.domain.clone(),
            account_recovery_setting: AccountRecoverySetting {
                recovery_mechanisms: [RecoveryOption { priority: 1, name: "verified_email" }],
            },
        };
        Ok(DescribeUserPoolOutput { user_pool })
    })
}

/// `DescribeUserPoolClient`: reading it is a step of the lab (the learner finds the client's
/// flows and secret).
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct DescribeUserPoolClientOutput {
    user_pool_client: UserPoolClientType,
}

impl Observes for DescribeUserPoolClientOutput {
    fn observed(&self) -> Option<Observed> {
        Some(Observed::ClientDescribed)
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserPoolClientType {
    user_pool_id: String,
    client_name: String,
    client_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_secret: Option<String>,
    last_modified_date: f64,
    creation_date: f64,
    refresh_token_validity: i64,
    access_token_validity: i64,
    id_token_validity: i64,
    token_validity_units: TokenValidityUnits,
    explicit_auth_flows: Vec<String>,
    supported_identity_providers: [&'static str; 1],
    #[serde(rename = "CallbackURLs")]
    callback_urls: Vec<String>,
    #[serde(rename = "AllowedOAuthFlows")]
    allowed_oauth_flows: [&'static str; 1],
    #[serde(rename = "AllowedOAuthScopes")]
    allowed_oauth_scopes: [&'static str; 3],
    #[serde(rename = "AllowedOAuthFlowsUserPoolClient")]
    allowed_oauth_flows_user_pool_client: bool,
    prevent_user_existence_errors: &'static str,
    enable_token_revocation: bool,
    enable_propagate_additional_user_context_data: bool,
    auth_session_validity: u32,
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct TokenValidityUnits {
    access_token: &'static str,
    id_token: &'static str,
    refresh_token: &'static str,
}

pub fn describe_user_pool_client(call: &Call, input: PoolInput) -> Result<DescribeUserPoolClientOutput, ApiError> {
    let &Call { ctx, cognito } = call;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let client_id = required(&input.client_id, "ClientId")?;
    cognito.read(|s| {
        s.pool(pool_id)?;
        let client =
            s.clients.get(client_id).filter(|c| c.pool_id == pool_id).ok_or_else(|| client_not_found(client_id))?;
        let user_pool_client = UserPoolClientType {
            user_pool_id: client.pool_id.clone(),
            client_name: client.name.clone(),
            client_id: client.id.clone(),
            client_secret: client.secret.as_ref().map(|secret| secret.expose().to_string()),
            last_modified_date: epoch_secs(client.modified),
            creation_date: epoch_secs(client.created),
            refresh_token_validity: client.refresh_token_days,
            access_token_validity: client.access_token_minutes,
            id_token_validity: client.id_token_minutes,
            token_validity_units: TokenValidityUnits {
                access_token: "minutes",
                id_token: "minutes",
                refresh_token: "days",
            },
            explicit_auth_flows: client.explicit_auth_flows.clone(),
            supported_identity_providers: ["COGNITO"],
            callback_urls: super::directory::callback_urls(ctx, &client.id, &client.callback_urls),
            allowed_oauth_flows: ["code"],
            allowed_oauth_scopes: ["aws.cognito.signin.user.admin", "email", "openid"],
            allowed_oauth_flows_user_pool_client: true,
            prevent_user_existence_errors: if client.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
            enable_token_revocation: true,
            enable_propagate_additional_user_context_data: false,
            auth_session_validity: 3,
        };
        Ok(DescribeUserPoolClientOutput { user_pool_client })
    })
}

fn max_results(input: &PoolInput, required: bool) -> Result<usize, ApiError> {
    match input.max_results {
        Some(n) if (1..=60).contains(&n) => Ok(n as usize),
        Some(n) => Err(invalid_parameter(format!(
            "1 validation error detected: Value '{n}' at 'maxResults' failed to satisfy constraint: Member must have value between 1 and 60"
        ))),
        None if required => Err(invalid_parameter(
            "1 validation error detected: Value null at 'maxResults' failed to satisfy constraint: Member must not be null",
        )),
        None => Ok(60),
    }
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserPoolsOutput {
    user_pools: Vec<UserPoolDescriptionType>,
}

impl Observes for ListUserPoolsOutput {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserPoolDescriptionType {
    id: String,
    name: String,
    lambda_config: Empty,
    last_modified_date: f64,
    creation_date: f64,
}

pub fn list_user_pools(call: &Call, input: PoolInput) -> Result<ListUserPoolsOutput, ApiError> {
    let cognito = call.cognito;
    let max = max_results(&input, true)?;
    cognito.read(|s| {
        let user_pools = s
            .pools
            .values()
            .take(max)
            .map(|pool| UserPoolDescriptionType {
                id: pool.id.clone(),
                name: pool.name.clone(),
                lambda_config: Empty {},
                last_modified_date: epoch_secs(pool.modified),
                creation_date: epoch_secs(pool.created),
            })
            .collect();
        Ok(ListUserPoolsOutput { user_pools })
    })
}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ListUserPoolClientsOutput {
    user_pool_clients: Vec<UserPoolClientDescription>,
}

impl Observes for ListUserPoolClientsOutput {}

#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct UserPoolClientDescription {
    client_id: String,
    user_pool_id: String,
    client_name: String,
}

pub fn list_user_pool_clients(call: &Call, input: PoolInput) -> Result<ListUserPoolClientsOutput, ApiError> {
    let cognito = call.cognito;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let max = max_results(&input, false)?;
    cognito.read(|s| {
        s.pool(pool_id)?;
        let user_pool_clients = s
            .pool_clients(pool_id)
            .take(max)
            .map(|c| UserPoolClientDescription {
                client_id: c.id.clone(),
                user_pool_id: c.pool_id.clone(),
                client_name: c.name.clone(),
            })
            .collect();
        Ok(ListUserPoolClientsOutput { user_pool_clients })
    })
}

/// `GetSigningCertificate`: the X.509 certificate of the pool's signing key.
pub fn get_signing_certificate(call: &Call, input: PoolInput) -> Result<GetSigningCertificateOutput, ApiError> {
    let cognito = call.cognito;
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let pool = cognito.read(|s| s.pool(pool_id).cloned())?;
    let certificate = super::keys::signing_certificate(&pool).map_err(|e| {
        ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", format!("{e}"))
    })?;
    Ok(GetSigningCertificateOutput { certificate })
}
