//! What the lab's two stacks are made of, as their templates declare it: each resource's logical
//! id and type, where its physical id comes from, the stacks' parameters, and the template body
//! GetTemplate answers with.
//!
//! `walab-api` follows section 1's published template (a SAM template: its two
//! `AWS::Serverless::Function`s become Lambda functions and permissions when processed).
//! `walab-cdn-waf-cognito` is walab's reading of section 3 (the pool, its client and domain, the
//! origin header's secret, both web ACLs and the distribution); its template is not published
//! beside the lab's text, so its logical ids are walab's own.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::names::{API_STACK, EDGE_STACK};

/// Where a resource's physical id comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Physical {
    /// A resource the local lab serves: its id comes from the service that holds it.
    Modelled(Modelled),
    /// A resource the lab does not run (networking, the database, IAM): a stable id made
    /// from the stack and the logical id, shaped like AWS's (`vpc-…`, `sg-…`).
    Ec2(&'static str),
    /// `<stack>-<logical id>-<suffix>`, as CloudFormation names what it names itself.
    Named,
    /// A name the template fixes.
    Fixed(&'static str),
}

/// The resources whose physical ids the account's services know.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Modelled {
    UserPool,
    AppClient,
    UserPoolDomain,
    OriginSecret,
    RegionalWebAcl,
    GlobalWebAcl,
    Distribution,
    RestApi,
    RequestValidator,
    FirstDeployment,
    DatabaseSecret,
    Cloud9,
}

/// One resource of a template.
#[derive(Debug, Clone, Copy)]
pub struct TemplateResource {
    pub logical_id: &'static str,
    /// The type once processed (what DescribeStackResources shows).
    pub resource_type: &'static str,
    pub physical: Physical,
    /// In the template as written: its type there (`AWS::Serverless::Function`), or `None`
    /// when the SAM transform made it.
    pub original: Option<&'static str>,
}

const fn r(logical_id: &'static str, resource_type: &'static str, physical: Physical) -> TemplateResource {
    TemplateResource { logical_id, resource_type, physical, original: Some(resource_type) }
}

const fn sam(
    logical_id: &'static str,
    resource_type: &'static str,
    original: Option<&'static str>,
) -> TemplateResource {
    TemplateResource { logical_id, resource_type, physical: Physical::Named, original }
}

use Modelled as M;
use Physical::{Ec2, Fixed, Named};

const SERVERLESS_FUNCTION: &str = "AWS::Serverless::Function";

/// Section 1's stack, in the template's order.
const API_RESOURCES: &[TemplateResource] = &[
    r("RDSVPC", "AWS::EC2::VPC", Ec2("vpc")),
    r("WAprivateDBSubnet1", "AWS::EC2::Subnet", Ec2("subnet")),
    r("WAprivateDBSubnet2", "AWS::EC2::Subnet", Ec2("subnet")),
    r("WAprivateLambdaSubnet1", "AWS::EC2::Subnet", Ec2("subnet")),
    r("WAprivateLambdaSubnet2", "AWS::EC2::Subnet", Ec2("subnet")),
    r("WApublicSubnet1", "AWS::EC2::Subnet", Ec2("subnet")),
    r("WApublicSubnet2", "AWS::EC2::Subnet", Ec2("subnet")),
    r("WAInternetGateway", "AWS::EC2::InternetGateway", Ec2("igw")),
    r("AttachInternetGateway", "AWS::EC2::VPCGatewayAttachment", Named),
    r("CustomRouteTable", "AWS::EC2::RouteTable", Ec2("rtb")),
    r("WARouteTable", "AWS::EC2::RouteTable", Ec2("rtb")),
    r("WASubnetRouteTableAssociation1", "AWS::EC2::SubnetRouteTableAssociation", Ec2("rtbassoc")),
    r("WASubnetRouteTableAssociation2", "AWS::EC2::SubnetRouteTableAssociation", Ec2("rtbassoc")),
    r("WASubnetRouteTableAssociation3", "AWS::EC2::SubnetRouteTableAssociation", Ec2("rtbassoc")),
    r("WASubnetRouteTableAssociation4", "AWS::EC2::SubnetRouteTableAssociation", Ec2("rtbassoc")),
    r("WASubnetRouteTableAssociation5", "AWS::EC2::SubnetRouteTableAssociation", Ec2("rtbassoc")),
    r("WASubnetRouteTableAssociation6", "AWS::EC2::SubnetRouteTableAssociation", Ec2("rtbassoc")),
    r("WANAT", "AWS::EC2::NatGateway", Ec2("nat")),
    r("WAEIP", "AWS::EC2::EIP", Ec2("eipalloc")),
    r("RouteToNAT", "AWS::EC2::Route", Named),
    r("RouteToInternet", "AWS::EC2::Route", Named),
    r("RDSSecurityGroup", "AWS::EC2::SecurityGroup", Ec2("sg")),
    r("LambdaSecurityGroup", "AWS::EC2::SecurityGroup", Ec2("sg")),
    r("WADBSubnetGroup", "AWS::RDS::DBSubnetGroup", Named),
    r("RDSLambdaCFNInitRole", "AWS::IAM::Role", Named),
    r("RDSLambdaTestRole", "AWS::IAM::Role", Named),
    sam("LambdaRDSTest", "AWS::Lambda::Function", Some(SERVERLESS_FUNCTION)),
    sam("LambdaRDSTestGetEventPermissionProd", "AWS::Lambda::Permission", None),
    r("apiGateway", "AWS::ApiGateway::RestApi", Physical::Modelled(M::RestApi)),
    r("apiGatewayRootMethod", "AWS::ApiGateway::Method", Named),
    r("apiRequestValidator", "AWS::ApiGateway::RequestValidator", Physical::Modelled(M::RequestValidator)),
    r("apiGatewayDeployment", "AWS::ApiGateway::Deployment", Physical::Modelled(M::FirstDeployment)),
    r("lambdaApiGatewayInvoke", "AWS::Lambda::Permission", Named),
    sam("LambdaRDSCreateTable", "AWS::Lambda::Function", Some(SERVERLESS_FUNCTION)),
    r("InvokeLambdaRDSCreateTable", "AWS::CloudFormation::CustomResource", Named),
    r("CloudFormationEndpoint", "AWS::EC2::VPCEndpoint", Ec2("vpce")),
    r("WARDSInstanceRotationSecret", "AWS::SecretsManager::Secret", Physical::Modelled(M::DatabaseSecret)),
    r("WADBInstance", "AWS::RDS::DBInstance", Fixed("wa-lab-mysql-rds")),
    r("SecretRDSInstanceAttachment", "AWS::SecretsManager::SecretTargetAttachment", Named),
    r("Cloud9", "AWS::Cloud9::EnvironmentEC2", Physical::Modelled(M::Cloud9)),
];

/// Section 3's stack.
const EDGE_RESOURCES: &[TemplateResource] = &[
    r("CognitoUserPool", "AWS::Cognito::UserPool", Physical::Modelled(M::UserPool)),
    r("CognitoUserPoolClient", "AWS::Cognito::UserPoolClient", Physical::Modelled(M::AppClient)),
    r("CognitoUserPoolDomain", "AWS::Cognito::UserPoolDomain", Physical::Modelled(M::UserPoolDomain)),
    r("OriginVerifySecret", "AWS::SecretsManager::Secret", Physical::Modelled(M::OriginSecret)),
    r("WAFWebACLR", "AWS::WAFv2::WebACL", Physical::Modelled(M::RegionalWebAcl)),
    r("WAFWebACLRAssociation", "AWS::WAFv2::WebACLAssociation", Named),
    r("WAFWebACLG", "AWS::WAFv2::WebACL", Physical::Modelled(M::GlobalWebAcl)),
    r("CloudFrontDistribution", "AWS::CloudFront::Distribution", Physical::Modelled(M::Distribution)),
];

/// The resources of the lab's stack `name`, in creation order.
pub fn resources(name: &str) -> &'static [TemplateResource] {
    match name {
        API_STACK => API_RESOURCES,
        EDGE_STACK => EDGE_RESOURCES,
        _ => &[],
    }
}

/// The stack's parameters as section 1 was deployed (the bucket is the learner's own).
pub fn parameters(name: &str, account: &str) -> Vec<(&'static str, String)> {
    match name {
        API_STACK => vec![
            ("SBucketName", lambda_bucket(account)),
            ("RDSDBName", "playersdb".into()),
            ("DBTableName", "players".into()),
            ("RDSUserName", "admin".into()),
        ],
        _ => Vec::new(),
    }
}

/// The bucket the learner uploaded the Lambda packages to in section 1, on the local lab.
pub fn lambda_bucket(account: &str) -> String {
    format!("walab-lambda-packages-{account}")
}

/// The template body: `processed` gives what CloudFormation ran (after the SAM transform),
/// otherwise the template as written. Resources carry their types and outputs their
/// descriptions, not their properties.
pub fn body(name: &str, description: &str, outputs: &[(&str, &str)], processed: bool) -> String {
    let template = Template {
        version: "2010-09-09",
        description,
        outputs: outputs.iter().map(|(key, description)| (*key, Output { description })).collect(),
        parameters: parameters(name, "").into_iter().map(|(key, _)| (key, Typed { kind: "String" })).collect(),
        resources: resources(name)
            .iter()
            .filter_map(|r| {
                let kind = if processed { Some(r.resource_type) } else { r.original }?;
                Some((r.logical_id, Typed { kind }))
            })
            .collect(),
        transform: (name == API_STACK && !processed).then_some("AWS::Serverless-2016-10-31"),
    };
    serde_json::to_string_pretty(&template).unwrap_or_default()
}

/// A template's body. Its members are in alphabetical order, as the body has always been
/// written.
#[derive(Serialize)]
#[serde(rename_all = "PascalCase")]
struct Template<'a> {
    #[serde(rename = "AWSTemplateFormatVersion")]
    version: &'static str,
    description: &'a str,
    outputs: BTreeMap<&'a str, Output<'a>>,
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    parameters: BTreeMap<&'static str, Typed>,
    resources: BTreeMap<&'static str, Typed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    transform: Option<&'static str>,
}

/// A parameter or resource as declared: its type only.
#[derive(Serialize)]
struct Typed {
    #[serde(rename = "Type")]
    kind: &'static str,
}

#[derive(Serialize)]
struct Output<'a> {
    #[serde(rename = "Description")]
    description: &'a str,
}

/// A stable made-up id for a resource the lab does not run: `<prefix>-` and 17 hex digits
/// (EC2), or `<stack>-<logical>-<12 letters and digits>` (CloudFormation's own names).
pub fn made_id(physical: Physical, stack_id: &str, stack: &str, logical_id: &str) -> Option<String> {
    let digest = fnv1a(&format!("{stack_id}/{logical_id}"));
    match physical {
        Physical::Ec2(prefix) => Some(format!("{prefix}-{digest:017x}")),
        Physical::Named => {
            const LETTERS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
            let mut n = digest;
            let suffix: String = (0..12)
                .map(|_| {
                    let c = LETTERS[(n % LETTERS.len() as u64) as usize] as char;
                    n /= LETTERS.len() as u64;
                    c
                })
                .collect();
            let short: String = logical_id.chars().take(12).collect();
            Some(format!("{stack}-{short}-{suffix}"))
        }
        Physical::Fixed(name) => Some(name.to_string()),
        Physical::Modelled(_) => None,
    }
}

fn fnv1a(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |hash, byte| (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::Value;

    #[test]
    fn made_ids_are_stable_and_shaped_like_aws() {
        let id = made_id(Ec2("vpc"), "arn:s/1", "walab-api", "RDSVPC").unwrap();
        assert_eq!(id, made_id(Ec2("vpc"), "arn:s/1", "walab-api", "RDSVPC").unwrap());
        assert!(id.starts_with("vpc-") && id.len() == 21, "{id}");
        assert_ne!(id, made_id(Ec2("vpc"), "arn:s/2", "walab-api", "RDSVPC").unwrap());
        let named = made_id(Named, "arn:s/1", "walab-api", "RDSLambdaTestRole").unwrap();
        assert!(named.starts_with("walab-api-RDSLambdaTes-") && named.len() == 35, "{named}");
    }

    #[test]
    fn the_sam_template_as_written_and_as_processed() {
        let original: Value = serde_json::from_str(&body(API_STACK, "d", &[("APIGatewayURL", "u")], false)).unwrap();
        assert_eq!(original["Transform"], "AWS::Serverless-2016-10-31");
        assert_eq!(original["Resources"]["LambdaRDSTest"]["Type"], SERVERLESS_FUNCTION);
        assert!(original["Resources"].get("LambdaRDSTestGetEventPermissionProd").is_none());
        assert_eq!(original["Parameters"]["SBucketName"]["Type"], "String");
        let processed: Value = serde_json::from_str(&body(API_STACK, "d", &[], true)).unwrap();
        assert!(processed.get("Transform").is_none());
        assert_eq!(processed["Resources"]["LambdaRDSTest"]["Type"], "AWS::Lambda::Function");
        assert_eq!(processed["Resources"]["apiGateway"]["Type"], "AWS::ApiGateway::RestApi");
    }
}
