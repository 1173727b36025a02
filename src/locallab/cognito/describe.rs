//! Reading a pool's configuration: `DescribeUserPool`, `DescribeUserPoolClient`,
//! `ListUserPools`, `ListUserPoolClients`, and its signing certificate.

use serde_json::{Value, json};

use super::errors::{client_not_found, invalid_parameter};
use super::input::{PoolInput, required};
use super::state::CognitoState;
use crate::locallab::machinery::clock::epoch_secs;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::ApiError;

type OpResult = Result<Value, ApiError>;

pub fn describe_user_pool(cognito: &Slice<CognitoState>, input: PoolInput) -> OpResult {
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    cognito.read(|s| {
        let pool = s.pool(pool_id)?;
        let users = s.users.with_prefix(&format!("{pool_id}/")).count();
        Ok(json!({ "UserPool": {
            "Id": pool.id,
            "Name": pool.name,
            "Arn": pool.arn,
            "Policies": { "PasswordPolicy": {
                "MinimumLength": 8,
                "RequireUppercase": true,
                "RequireLowercase": true,
                "RequireNumbers": true,
                "RequireSymbols": true,
                "TemporaryPasswordValidityDays": 7,
            }},
            "DeletionProtection": "INACTIVE",
            "LambdaConfig": {},
            "LastModifiedDate": epoch_secs(pool.modified),
            "CreationDate": epoch_secs(pool.created),
            "SchemaAttributes": [
                { "Name": "sub", "AttributeDataType": "String", "Mutable": false, "Required": true,
                  "StringAttributeConstraints": { "MinLength": "1", "MaxLength": "2048" } },
                { "Name": "email", "AttributeDataType": "String", "Mutable": true, "Required": true,
                  "StringAttributeConstraints": { "MinLength": "0", "MaxLength": "2048" } },
                { "Name": "email_verified", "AttributeDataType": "Boolean", "Mutable": true, "Required": false },
            ],
            "AutoVerifiedAttributes": ["email"],
            "UsernameAttributes": ["email"],
            "VerificationMessageTemplate": { "DefaultEmailOption": "CONFIRM_WITH_LINK" },
            "MfaConfiguration": "OFF",
            "EstimatedNumberOfUsers": users,
            "EmailConfiguration": { "EmailSendingAccount": "COGNITO_DEFAULT" },
            "AdminCreateUserConfig": { "AllowAdminCreateUserOnly": false, "UnusedAccountValidityDays": 7 },
            "Domain": pool.domain,
            "AccountRecoverySetting": { "RecoveryMechanisms": [{ "Priority": 1, "Name": "verified_email" }] },
        }}))
    })
}

pub fn describe_user_pool_client(ctx: &AccountContext, cognito: &Slice<CognitoState>, input: PoolInput) -> OpResult {
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let client_id = required(&input.client_id, "ClientId")?;
    cognito.read(|s| {
        s.pool(pool_id)?;
        let client =
            s.clients.get(client_id).filter(|c| c.pool_id == pool_id).ok_or_else(|| client_not_found(client_id))?;
        let mut body = json!({
            "UserPoolId": client.pool_id,
            "ClientName": client.name,
            "ClientId": client.id,
            "LastModifiedDate": epoch_secs(client.modified),
            "CreationDate": epoch_secs(client.created),
            "RefreshTokenValidity": client.refresh_token_days,
            "AccessTokenValidity": client.access_token_minutes,
            "IdTokenValidity": client.id_token_minutes,
            "TokenValidityUnits": { "AccessToken": "minutes", "IdToken": "minutes", "RefreshToken": "days" },
            "ExplicitAuthFlows": client.explicit_auth_flows,
            "SupportedIdentityProviders": ["COGNITO"],
            "CallbackURLs": super::directory::callback_urls(ctx, &client.id, &client.callback_urls),
            "AllowedOAuthFlows": ["code"],
            "AllowedOAuthScopes": ["aws.cognito.signin.user.admin", "email", "openid"],
            "AllowedOAuthFlowsUserPoolClient": true,
            "PreventUserExistenceErrors": if client.prevent_user_existence_errors { "ENABLED" } else { "LEGACY" },
            "EnableTokenRevocation": true,
            "EnablePropagateAdditionalUserContextData": false,
            "AuthSessionValidity": 3,
        });
        if let Some(secret) = &client.secret {
            body["ClientSecret"] = json!(secret.expose());
        }
        Ok(json!({ "UserPoolClient": body }))
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

pub fn list_user_pools(cognito: &Slice<CognitoState>, input: PoolInput) -> OpResult {
    let max = max_results(&input, true)?;
    cognito.read(|s| {
        let pools: Vec<Value> = s
            .pools
            .values()
            .take(max)
            .map(|pool| {
                json!({
                    "Id": pool.id,
                    "Name": pool.name,
                    "LambdaConfig": {},
                    "LastModifiedDate": epoch_secs(pool.modified),
                    "CreationDate": epoch_secs(pool.created),
                })
            })
            .collect();
        Ok(json!({ "UserPools": pools }))
    })
}

pub fn list_user_pool_clients(cognito: &Slice<CognitoState>, input: PoolInput) -> OpResult {
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let max = max_results(&input, false)?;
    cognito.read(|s| {
        s.pool(pool_id)?;
        let clients: Vec<Value> = s
            .pool_clients(pool_id)
            .take(max)
            .map(|c| json!({ "ClientId": c.id, "UserPoolId": c.pool_id, "ClientName": c.name }))
            .collect();
        Ok(json!({ "UserPoolClients": clients }))
    })
}

/// `GetSigningCertificate`: the X.509 certificate of the pool's signing key.
pub fn get_signing_certificate(cognito: &Slice<CognitoState>, input: PoolInput) -> OpResult {
    let pool_id = required(&input.user_pool_id, "UserPoolId")?;
    let pool = cognito.read(|s| s.pool(pool_id).cloned())?;
    let certificate = super::keys::signing_certificate(&pool).map_err(|e| {
        ApiError::new(http::StatusCode::INTERNAL_SERVER_ERROR, "InternalErrorException", format!("{e}"))
    })?;
    Ok(json!({ "Certificate": certificate }))
}
