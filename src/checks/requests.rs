//! Step 5.5, gathered by requests: what the endpoints answer without a token, with the ID
//! token, and on the API Gateway URL called directly. [`judge`] reads each answer.

use super::evidence::Evidence;
use super::identity::{fresh_token, recorded_url};
use super::judge;
use super::{Checked, Context, Outcome};
use crate::probe::ProbeResponse;
use crate::secret::Secret;
use crate::settings::Field;

async fn get(ctx: &Context, url: &str, token: Option<&Secret>) -> Result<ProbeResponse, Outcome> {
    ctx.prober.get(url, token, ctx.request_timeout).await.map_err(|e| {
        Outcome::error(e.to_string(), e.hint()).with_evidence(Evidence::Unanswered { url: url.to_string() })
    })
}

pub(super) async fn unauthenticated_401(ctx: &Context) -> Checked {
    let url = recorded_url(ctx, Field::CloudFrontEndpoint).await?;
    Ok(judge::unauthenticated_401(&get(ctx, &url, None).await?))
}

pub(super) async fn authenticated_200(ctx: &Context) -> Checked {
    let url = recorded_url(ctx, Field::CloudFrontEndpoint).await?;
    let token = fresh_token(ctx).await?;
    Ok(judge::authenticated_200(&get(ctx, &url, Some(&token.token)).await?))
}

pub(super) async fn direct_api_blocked(ctx: &Context) -> Checked {
    // WAF refuses the API's own URL token or not: the token is sent when there is one.
    let url = recorded_url(ctx, Field::ApiGatewayUrl).await?;
    let token = ctx.token().filter(|t| t.seconds_left() > 60);
    Ok(judge::direct_api_blocked(&get(ctx, &url, token.as_ref().map(|t| &t.token)).await?))
}
