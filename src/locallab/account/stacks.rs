//! What CloudFormation asks the account about the lab's stacks: their outputs, the physical
//! ids of the resources the services hold, what blocks a deletion, and deleting a stack's
//! resources from the services that hold them, as CloudFormation's deletion would.

use super::Account;
use crate::locallab::cloudformation::{Blocked, Facts, Modelled, Output};
use crate::locallab::{apigateway, cloudfront, cognito, waf};
use crate::names::{API_STACK, EDGE_STACK};

impl Facts for Account {
    fn outputs(&self, stack: &str) -> Vec<Output> {
        Account::outputs(self, stack)
    }

    fn physical_id(&self, resource: Modelled) -> Option<String> {
        let (region, account) = (&self.ctx.region, &self.ctx.id);
        let acl_id = |arn: &str| arn.rsplit('/').next().map(str::to_string);
        let suffix = |name: &str| {
            // Secrets Manager ends a secret's ARN with six characters of its own.
            let digest = name.bytes().fold(7u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(b)));
            format!("{name}-{:06x}", digest & 0xff_ffff)
        };
        match resource {
            Modelled::UserPool => cognito::lab_identity(&self.cognito).map(|i| i.pool_id),
            Modelled::AppClient => cognito::lab_identity(&self.cognito).map(|i| i.client_id),
            Modelled::UserPoolDomain => {
                let pool = cognito::lab_identity(&self.cognito)?.pool_id;
                cognito::pool_domain(&self.cognito, &pool)
            }
            Modelled::OriginSecret => {
                let name = waf::acls(&self.waf).secret_name;
                Some(format!("arn:aws:secretsmanager:{region}:{account}:secret:{}", suffix(&name)))
            }
            Modelled::RegionalWebAcl => {
                let acls = waf::acls(&self.waf);
                Some(format!("{}|{}|REGIONAL", acls.regional_acl_name, acl_id(&acls.regional_acl_arn)?))
            }
            Modelled::GlobalWebAcl => {
                let acls = waf::acls(&self.waf);
                Some(format!("{}|{}|CLOUDFRONT", acls.global_acl_name, acl_id(&acls.global_acl_arn)?))
            }
            Modelled::Distribution => cloudfront::distribution_id(&self.cloudfront),
            Modelled::RestApi => apigateway::lab_api_ids(&self.apigateway).map(|(api, _, _)| api),
            Modelled::RequestValidator => apigateway::lab_api_ids(&self.apigateway).and_then(|(_, v, _)| v),
            Modelled::FirstDeployment => apigateway::lab_api_ids(&self.apigateway).and_then(|(_, _, d)| d),
            Modelled::DatabaseSecret => {
                Some(format!("arn:aws:secretsmanager:{region}:{account}:secret:{}", suffix("walab-rds-secret")))
            }
            Modelled::Cloud9 => Some(format!("{:032x}", account.parse::<u128>().unwrap_or_default())),
        }
    }

    /// The REST API cannot go while a distribution still sends its requests to it: the local
    /// lab's stand-in for AWS refusing to delete a resource another one still uses.
    fn blocker(&self, stack: &str) -> Option<Blocked> {
        if stack != API_STACK {
            return None;
        }
        let (api_id, _, _) = apigateway::lab_api_ids(&self.apigateway)?;
        let distribution = cloudfront::distributions_with_origin(&self.cloudfront, &self.api_domain()).pop()?;
        Some(Blocked {
            logical_id: "apiGateway".into(),
            resource_type: "AWS::ApiGateway::RestApi".into(),
            physical_id: Some(api_id.clone()),
            reason: format!(
                "Resource handler returned message: \"REST API {api_id} is still in use: CloudFront distribution \
                 {distribution} sends its requests to it. Delete that distribution (stack {EDGE_STACK}) first.\""
            ),
        })
    }

    fn delete_resources(&self, stack: &str) -> Result<(), crate::locallab::machinery::wire::ApiError> {
        match stack {
            EDGE_STACK => {
                if let Some(id) = cloudfront::distribution_id(&self.cloudfront) {
                    cloudfront::delete_distribution(&self.cloudfront, &id)?;
                }
                let acls = waf::acls(&self.waf);
                apigateway::remove_web_acl(&self.apigateway, &acls.regional_acl_arn)?;
                if let Some(identity) = cognito::lab_identity(&self.cognito) {
                    cognito::delete_pool(&self.cognito, &identity.pool_id)?;
                }
                Ok(())
            }
            API_STACK => match apigateway::lab_api_ids(&self.apigateway) {
                Some((api_id, _, _)) => apigateway::delete_rest_api(&self.apigateway, &api_id),
                None => Ok(()),
            },
            _ => Ok(()),
        }
    }
}
