//! API Gateway's model: REST APIs with their resources, methods and validators, Cognito
//! authorizers, deployments (each a frozen snapshot of the methods) and stages.
//!
//! The invoke side serves a stage from its deployment's snapshot, never from the live methods:
//! that is why forgetting to deploy after protecting `GET /` changes nothing, the lab's classic
//! mistake.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::{Change, Record, Rows, StoreError, Table, Tables};
use crate::names::{API_NAME, ID_PARAMETER, STAGE};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RestApi {
    pub id: String,
    pub name: String,
    pub created: Millis,
    pub description: String,
    pub root_resource_id: String,
    /// The API's resources with their methods, and its request validators: a handful each.
    pub resources: Vec<Resource>,
    pub validators: Vec<RequestValidator>,
}

impl Record for RestApi {
    const KIND: &'static str = "apigateway.api";
    fn key(&self) -> String {
        self.id.clone()
    }
}

impl RestApi {
    /// The API's regional host name, the CloudFront origin's domain.
    pub fn domain(&self, region: &str) -> String {
        format!("{}.execute-api.{region}.amazonaws.com", self.id)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Resource {
    pub id: String,
    pub parent_id: Option<String>,
    pub path_part: Option<String>,
    pub path: String,
    /// By HTTP method (`GET`).
    pub methods: BTreeMap<String, Method>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AuthorizationType {
    None,
    AwsIam,
    Custom,
    CognitoUserPools,
}

impl AuthorizationType {
    pub fn as_str(self) -> &'static str {
        match self {
            AuthorizationType::None => "NONE",
            AuthorizationType::AwsIam => "AWS_IAM",
            AuthorizationType::Custom => "CUSTOM",
            AuthorizationType::CognitoUserPools => "COGNITO_USER_POOLS",
        }
    }

    pub fn parse(value: &str) -> Option<Self> {
        match value {
            "NONE" => Some(AuthorizationType::None),
            "AWS_IAM" => Some(AuthorizationType::AwsIam),
            "CUSTOM" => Some(AuthorizationType::Custom),
            "COGNITO_USER_POOLS" => Some(AuthorizationType::CognitoUserPools),
            _ => None,
        }
    }

    /// Types that run an authorizer and so need an `authorizerId`.
    pub fn needs_authorizer(self) -> bool {
        matches!(self, AuthorizationType::Custom | AuthorizationType::CognitoUserPools)
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Method {
    pub http_method: String,
    pub authorization_type: AuthorizationType,
    pub authorizer_id: Option<String>,
    pub api_key_required: bool,
    pub authorization_scopes: Vec<String>,
    pub request_validator_id: Option<String>,
    /// `method.request.querystring.id` → required.
    pub request_parameters: BTreeMap<String, bool>,
    pub operation_name: Option<String>,
    /// The Lambda function the non-proxy integration calls.
    pub lambda_arn: String,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct RequestValidator {
    pub id: String,
    pub name: String,
    pub validate_request_body: bool,
    pub validate_request_parameters: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Authorizer {
    pub api_id: String,
    pub id: String,
    pub name: String,
    /// Always `COGNITO_USER_POOLS` in the lab (Lambda authorizers are refused at creation).
    pub kind: String,
    pub provider_arns: Vec<String>,
    pub identity_source: String,
    pub identity_validation_expression: Option<String>,
    pub ttl_seconds: i64,
}

impl Record for Authorizer {
    const KIND: &'static str = "apigateway.authorizer";
    fn key(&self) -> String {
        format!("{}/{}", self.api_id, self.id)
    }
}

impl Authorizer {
    /// The header named by `method.request.header.<Name>`.
    pub fn token_header(&self) -> Option<&str> {
        self.identity_source.trim().strip_prefix("method.request.header.").filter(|h| !h.is_empty())
    }

    /// The pool ids of `arn:aws:cognito-idp:<region>:<account>:userpool/<poolId>` ARNs.
    pub fn pool_ids(&self) -> Vec<String> {
        self.provider_arns.iter().filter_map(|arn| pool_id_of(arn)).map(str::to_string).collect()
    }
}

pub fn pool_id_of(arn: &str) -> Option<&str> {
    let rest = arn.strip_prefix("arn:aws:cognito-idp:")?;
    let (_, pool) = rest.split_once(":userpool/")?;
    (!pool.is_empty() && !pool.contains('/')).then_some(pool)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Deployment {
    pub api_id: String,
    pub id: String,
    pub description: Option<String>,
    pub created: Millis,
    /// The methods as they were when this deployment was created.
    pub snapshot: Vec<DeployedMethod>,
}

impl Record for Deployment {
    const KIND: &'static str = "apigateway.deployment";
    fn key(&self) -> String {
        format!("{}/{}", self.api_id, self.id)
    }
}

/// One method frozen by a deployment, with everything the invoke side needs resolved
/// (the authorizer's pools and header), so serving a request reads nothing else.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployedMethod {
    pub path: String,
    pub http_method: String,
    pub authorization_type: AuthorizationType,
    pub api_key_required: bool,
    pub authorization_scopes: Vec<String>,
    pub authorizer: Option<DeployedAuthorizer>,
    /// What the request validator enforces, empty when it validates no parameters.
    pub required_parameters: Vec<RequiredParameter>,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct DeployedAuthorizer {
    pub id: String,
    pub pool_ids: Vec<String>,
    pub token_header: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum RequiredParameter {
    Query(String),
    Header(String),
}

impl RequiredParameter {
    pub fn from_request_parameter(name: &str) -> Option<Self> {
        if let Some(q) = name.strip_prefix("method.request.querystring.") {
            Some(RequiredParameter::Query(q.to_string()))
        } else {
            name.strip_prefix("method.request.header.").map(|h| RequiredParameter::Header(h.to_string()))
        }
    }

    pub fn name(&self) -> &str {
        match self {
            RequiredParameter::Query(n) | RequiredParameter::Header(n) => n,
        }
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Stage {
    pub api_id: String,
    pub name: String,
    pub deployment_id: String,
    pub description: Option<String>,
    /// The regional WAF web ACL associated with the stage.
    pub web_acl_arn: Option<String>,
    pub created: Millis,
    pub updated: Millis,
}

impl Record for Stage {
    const KIND: &'static str = "apigateway.stage";
    fn key(&self) -> String {
        format!("{}/{}", self.api_id, self.name)
    }
}

/// One account's API Gateway: REST APIs, their authorizers, deployments and stages.
pub struct ApiGatewayState {
    pub apis: Table<RestApi>,
    pub authorizers: Table<Authorizer>,
    pub deployments: Table<Deployment>,
    pub stages: Table<Stage>,
}

impl Tables for ApiGatewayState {
    const KINDS: &'static [&'static str] = &[RestApi::KIND, Authorizer::KIND, Deployment::KIND, Stage::KIND];
    fn load(rows: &mut Rows) -> Result<Self, StoreError> {
        Ok(ApiGatewayState {
            apis: rows.table()?,
            authorizers: rows.table()?,
            deployments: rows.table()?,
            stages: rows.table()?,
        })
    }
    fn take_changes(&mut self, out: &mut Vec<Change>) {
        self.apis.take_changes(out);
        self.authorizers.take_changes(out);
        self.deployments.take_changes(out);
        self.stages.take_changes(out);
    }
}

impl ApiGatewayState {
    /// `wa-lab-rds-api` as the `walab-api` stack left it: `GET /` open, validated, deployed to
    /// `Dev` with the regional web ACL on the stage.
    pub fn seed(now: Millis, region: &str, account: &str, web_acl_arn: &str) -> Self {
        let created = now - 7_200_000;
        let root = ids::lower_alnum(10);
        let validator = RequestValidator {
            id: ids::lower_alnum(6),
            name: "Validate query string parameters and headers".to_string(),
            validate_request_body: false,
            validate_request_parameters: true,
        };
        let get = Method {
            http_method: "GET".to_string(),
            authorization_type: AuthorizationType::None,
            authorizer_id: None,
            api_key_required: false,
            authorization_scopes: Vec::new(),
            request_validator_id: Some(validator.id.clone()),
            request_parameters: BTreeMap::from([(ID_PARAMETER.to_string(), true)]),
            operation_name: None,
            lambda_arn: format!("arn:aws:lambda:{region}:{account}:function:walab-api-rds-players"),
        };
        let api = RestApi {
            id: ids::lower_alnum(10),
            name: API_NAME.to_string(),
            created,
            description: "Players API of the Well-Architected security lab".to_string(),
            root_resource_id: root.clone(),
            resources: vec![Resource {
                id: root,
                parent_id: None,
                path_part: None,
                path: "/".to_string(),
                methods: BTreeMap::from([("GET".to_string(), get)]),
            }],
            validators: vec![validator],
        };
        let api_id = api.id.clone();
        let mut state = ApiGatewayState {
            apis: Table::default(),
            authorizers: Table::default(),
            deployments: Table::default(),
            stages: Table::default(),
        };
        state.apis.insert(api);
        let deployment = state.deploy(&api_id, created + 60_000, None);
        state.stages.insert(Stage {
            api_id,
            name: STAGE.to_string(),
            deployment_id: deployment,
            description: None,
            web_acl_arn: Some(web_acl_arn.to_string()),
            created: created + 60_000,
            updated: created + 60_000,
        });
        state
    }

    /// Removes a REST API with its authorizers, deployments and stages (its stack was deleted).
    pub fn remove_api(&mut self, api_id: &str) {
        let prefix = format!("{api_id}/");
        let authorizers: Vec<String> = self.authorizers.with_prefix(&prefix).map(|a| a.key()).collect();
        authorizers.iter().for_each(|k| drop(self.authorizers.remove(k)));
        let deployments: Vec<String> = self.deployments.with_prefix(&prefix).map(|d| d.key()).collect();
        deployments.iter().for_each(|k| drop(self.deployments.remove(k)));
        let stages: Vec<String> = self.stages.with_prefix(&prefix).map(|s| s.key()).collect();
        stages.iter().for_each(|k| drop(self.stages.remove(k)));
        self.apis.remove(api_id);
    }

    /// The lab's REST API (the first; an account has one).
    pub fn lab_api(&self) -> Option<&RestApi> {
        self.apis.values().find(|a| a.name == API_NAME).or_else(|| self.apis.values().next())
    }

    pub fn stage(&self, api_id: &str, name: &str) -> Option<&Stage> {
        self.stages.get(&format!("{api_id}/{name}"))
    }

    pub fn api_stages<'a>(&'a self, api_id: &str) -> impl Iterator<Item = &'a Stage> + 'a {
        let prefix = format!("{api_id}/");
        self.stages.values().filter(move |s| s.key().starts_with(&prefix))
    }

    pub fn deployment(&self, api_id: &str, id: &str) -> Option<&Deployment> {
        self.deployments.get(&format!("{api_id}/{id}"))
    }

    /// The API's deployments, oldest first.
    pub fn api_deployments(&self, api_id: &str) -> Vec<&Deployment> {
        let prefix = format!("{api_id}/");
        let mut found: Vec<&Deployment> = self.deployments.values().filter(|d| d.key().starts_with(&prefix)).collect();
        found.sort_by_key(|d| d.created);
        found
    }

    pub fn authorizer(&self, api_id: &str, id: &str) -> Option<&Authorizer> {
        self.authorizers.get(&format!("{api_id}/{id}"))
    }

    pub fn api_authorizers<'a>(&'a self, api_id: &str) -> impl Iterator<Item = &'a Authorizer> + 'a {
        let prefix = format!("{api_id}/");
        self.authorizers.values().filter(move |a| a.key().starts_with(&prefix))
    }

    /// Freezes the API's methods as they are now into a new deployment; returns its id.
    pub fn deploy(&mut self, api_id: &str, now: Millis, description: Option<String>) -> String {
        let mut snapshot = Vec::new();
        if let Some(api) = self.apis.get(api_id) {
            for resource in &api.resources {
                for method in resource.methods.values() {
                    snapshot.push(self.freeze(api, &resource.path, method));
                }
            }
        }
        let id = ids::lower_alnum(6);
        self.deployments.insert(Deployment {
            api_id: api_id.to_string(),
            id: id.clone(),
            description,
            created: now,
            snapshot,
        });
        id
    }

    /// A method as a deployment would freeze it now.
    pub fn freeze(&self, api: &RestApi, path: &str, method: &Method) -> DeployedMethod {
        let authorizer =
            method.authorizer_id.as_deref().and_then(|id| self.authorizer(&api.id, id)).map(|a| DeployedAuthorizer {
                id: a.id.clone(),
                pool_ids: a.pool_ids(),
                token_header: a.token_header().unwrap_or("Authorization").to_string(),
            });
        let validates = method
            .request_validator_id
            .as_deref()
            .and_then(|id| api.validators.iter().find(|v| v.id == id))
            .is_some_and(|v| v.validate_request_parameters);
        let required_parameters = if validates {
            method
                .request_parameters
                .iter()
                .filter(|(_, required)| **required)
                .filter_map(|(name, _)| RequiredParameter::from_request_parameter(name))
                .collect()
        } else {
            Vec::new()
        };
        DeployedMethod {
            path: path.to_string(),
            http_method: method.http_method.clone(),
            authorization_type: method.authorization_type,
            api_key_required: method.api_key_required,
            authorization_scopes: method.authorization_scopes.clone(),
            authorizer,
            required_parameters,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_pool_ids_from_provider_arns() {
        assert_eq!(
            pool_id_of("arn:aws:cognito-idp:us-east-1:123456789012:userpool/us-east-1_AbC"),
            Some("us-east-1_AbC")
        );
        assert_eq!(pool_id_of("arn:aws:cognito-idp:us-east-1:123456789012:userpool/"), None);
        assert_eq!(pool_id_of("arn:aws:s3:::bucket"), None);
    }

    #[test]
    fn seed_deploys_the_open_method_to_dev() {
        let state = ApiGatewayState::seed(10_000_000, "us-east-1", "123456789012", "arn:acl");
        let api = state.lab_api().unwrap();
        let stage = state.stage(&api.id, STAGE).unwrap();
        assert_eq!(stage.web_acl_arn.as_deref(), Some("arn:acl"));
        let snapshot = &state.deployment(&api.id, &stage.deployment_id).unwrap().snapshot;
        assert_eq!(snapshot.len(), 1);
        assert_eq!(snapshot[0].authorization_type, AuthorizationType::None);
        assert_eq!(snapshot[0].required_parameters, [RequiredParameter::Query("id".into())]);
    }
}
