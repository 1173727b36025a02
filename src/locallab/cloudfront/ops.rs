//! CloudFront's distribution and invalidation operations: GetDistribution(Config),
//! UpdateDistribution with ETags, ListDistributions, and invalidations.

use axum::response::Response;
use http::StatusCode;
use roxmltree::Document;

use super::model::{CloudFrontState, ConfigDocument, Distribution, Invalidation, new_etag};
use super::settings::EdgeSettings;
use super::xml::NAMESPACE;
use super::xml::{
    body_text, check_quantities, child, malformed, max_items, names, parse, required, root_slice, text, with_etag,
    xml_document,
};
use crate::locallab::clock::{Millis, iso8601};
use crate::locallab::context::AccountContext;
use crate::locallab::ids;
use crate::locallab::store::Slice;
use crate::locallab::wire::{ApiError, AwsRequest, set_header, xml_escape};

/// CloudFront's limit on paths in one invalidation.
const MAX_INVALIDATION_PATHS: usize = 3000;

/// CloudFront's message names no id.
pub fn no_such_distribution(_id: &str) -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "NoSuchDistribution", "The specified distribution does not exist.")
}

fn with_distribution<R>(
    cf: &Slice<CloudFrontState>,
    id: &str,
    f: impl FnOnce(&CloudFrontState, &Distribution) -> R,
) -> Result<R, ApiError> {
    cf.read(|s| match s.distributions.get(id) {
        Some(d) => Ok(f(s, d)),
        None => Err(no_such_distribution(id)),
    })
}

/// `just_updated`: the answer to the update itself, always `InProgress` as in AWS, however
/// fast the lab deploys.
fn distribution_xml(
    cf: &CloudFrontState,
    d: &Distribution,
    now: Millis,
    deploy_ms: Millis,
    just_updated: bool,
) -> String {
    let status = if !just_updated && d.is_deployed(now, deploy_ms) { "Deployed" } else { "InProgress" };
    let in_progress = cf.invalidations_of(&d.id).iter().filter(|i| now < i.completes).count();
    format!(
        "<Distribution xmlns=\"{NAMESPACE}\"><Id>{}</Id><ARN>{}</ARN><Status>{status}</Status>\
         <LastModifiedTime>{}</LastModifiedTime><InProgressInvalidationBatches>{in_progress}</InProgressInvalidationBatches>\
         <DomainName>{}</DomainName>\
         <ActiveTrustedSigners><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedSigners>\
         <ActiveTrustedKeyGroups><Enabled>false</Enabled><Quantity>0</Quantity></ActiveTrustedKeyGroups>\
         {}</Distribution>",
        xml_escape(&d.id),
        xml_escape(&d.arn),
        iso8601(d.last_modified),
        xml_escape(&d.domain),
        d.config.xml
    )
}

pub fn list_distributions(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let now = ctx.now_ms();
    let deploy_ms = ctx.timing.deploy_ms();
    let body = cf.read(|s| {
        let mut summaries = String::new();
        for d in s.distributions.values().take(max) {
            let status = if d.is_deployed(now, deploy_ms) { "Deployed" } else { "InProgress" };
            // The summary repeats the configuration's own elements, sliced out verbatim.
            let mut parts = String::new();
            if let Ok(doc) = Document::parse(&d.config.xml) {
                let root = doc.root_element();
                for name in [
                    "Aliases",
                    "Origins",
                    "OriginGroups",
                    "DefaultCacheBehavior",
                    "CacheBehaviors",
                    "CustomErrorResponses",
                    "Comment",
                    "PriceClass",
                    "Enabled",
                    "ViewerCertificate",
                    "Restrictions",
                    "WebACLId",
                    "HttpVersion",
                    "IsIPV6Enabled",
                    "Staging",
                ] {
                    if let Some(node) = child(root, name) {
                        parts.push_str(d.config.xml.get(node.range()).unwrap_or_default());
                    }
                }
            }
            summaries.push_str(&format!(
                "<DistributionSummary><Id>{}</Id><ARN>{}</ARN><ETag>{}</ETag><Status>{status}</Status>\
                 <LastModifiedTime>{}</LastModifiedTime><DomainName>{}</DomainName>{parts}</DistributionSummary>",
                xml_escape(&d.id),
                xml_escape(&d.arn),
                xml_escape(&d.etag),
                iso8601(d.last_modified),
                xml_escape(&d.domain),
            ));
        }
        let quantity = s.distributions.len().min(max);
        let summary = summaries;
        format!(
            "<DistributionList xmlns=\"{NAMESPACE}\"><Marker>{}</Marker><MaxItems>{max}</MaxItems>\
             <IsTruncated>false</IsTruncated><Quantity>{quantity}</Quantity><Items>{summary}</Items></DistributionList>",
            xml_escape(req.query_param("Marker").unwrap_or_default())
        )
    });
    Ok(xml_document(StatusCode::OK, &body))
}

pub fn get_distribution(ctx: &AccountContext, cf: &Slice<CloudFrontState>, id: &str) -> Result<Response, ApiError> {
    let now = ctx.now_ms();
    let deploy_ms = ctx.timing.deploy_ms();
    let (body, etag) =
        with_distribution(cf, id, |s, d| (distribution_xml(s, d, now, deploy_ms, false), d.etag.clone()))?;
    Ok(with_etag(xml_document(StatusCode::OK, &body), &etag))
}

pub fn get_distribution_config(cf: &Slice<CloudFrontState>, id: &str) -> Result<Response, ApiError> {
    let (body, etag) = with_distribution(cf, id, |_, d| (d.config.xml.clone(), d.etag.clone()))?;
    Ok(with_etag(xml_document(StatusCode::OK, &body), &etag))
}

/// `api_domain` is the account's API host, the one origin the edge can reach.
pub fn update_distribution(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    api_domain: &str,
    id: &str,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let if_match = req.header("if-match").map(str::trim).filter(|v| !v.is_empty());
    // Check what needs no lock first: the body, and what the document says on its own.
    let xml = body_text(req)?;
    let doc = parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "DistributionConfig" {
        return Err(malformed(format!("expected DistributionConfig, found {}", root.tag_name().name())));
    }
    let caller_reference = required(root, "CallerReference")?.text().unwrap_or_default().trim().to_string();
    for name in ["Origins", "DefaultCacheBehavior", "Comment", "Enabled"] {
        required(root, name)?;
    }
    check_quantities(root)?;
    let stored = root_slice(xml, &doc).to_string();

    let now = ctx.now_ms();
    let deploy_ms = ctx.timing.deploy_ms();
    let body_and_etag = cf.write(|s| {
        let Some(current) = s.distributions.get(id) else {
            return Err(no_such_distribution(id));
        };
        let Some(if_match) = if_match else {
            return Err(ApiError::bad_request(
                "InvalidIfMatchVersion",
                "The If-Match version is missing or not valid for the resource.",
            ));
        };
        if if_match != current.etag {
            return Err(ApiError::new(
                StatusCode::PRECONDITION_FAILED,
                "PreconditionFailed",
                "The precondition given in one or more of the request-header fields evaluated to false.",
            ));
        }
        let current_reference = Document::parse(&current.config.xml)
            .ok()
            .and_then(|d| text(d.root_element(), "CallerReference").map(str::to_string))
            .unwrap_or_default();
        if caller_reference != current_reference {
            return Err(ApiError::bad_request(
                "IllegalUpdate",
                "The update contains modifications that are not allowed: CallerReference cannot change.",
            ));
        }
        // Derive now so a configuration the edge could not use is refused, as AWS validates it.
        EdgeSettings::derive(&stored, api_domain, |pid| s.policy_config(pid))?;

        s.distributions.update(id, |d| {
            if d.is_deployed(now, deploy_ms) {
                d.deployed = d.config.clone();
            }
            d.config = ConfigDocument::new(stored);
            d.last_modified = now;
            d.etag = new_etag();
        });
        let d = s.distributions.get(id).ok_or_else(|| no_such_distribution(id))?;
        Ok((distribution_xml(s, d, now, deploy_ms, true), d.etag.clone()))
    })?;
    let (body, etag) = body_and_etag;
    Ok(with_etag(xml_document(StatusCode::OK, &body), &etag))
}

fn invalidation_xml(inv: &Invalidation, status: &str) -> String {
    let paths: String = inv.paths.iter().map(|p| format!("<Path>{}</Path>", xml_escape(p))).collect();
    format!(
        "<Invalidation xmlns=\"{NAMESPACE}\"><Id>{}</Id><Status>{status}</Status><CreateTime>{}</CreateTime>\
         <InvalidationBatch><Paths><Quantity>{}</Quantity><Items>{paths}</Items></Paths>\
         <CallerReference>{}</CallerReference></InvalidationBatch></Invalidation>",
        xml_escape(&inv.id),
        iso8601(inv.created),
        inv.paths.len(),
        xml_escape(&inv.caller_reference)
    )
}

pub fn create_invalidation(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    id: &str,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let xml = body_text(req)?;
    let doc = parse(xml)?;
    let root = doc.root_element();
    if root.tag_name().name() != "InvalidationBatch" {
        return Err(malformed(format!("expected InvalidationBatch, found {}", root.tag_name().name())));
    }
    let caller_reference = text(root, "CallerReference").unwrap_or_default().to_string();
    if caller_reference.is_empty() {
        return Err(malformed("InvalidationBatch must contain CallerReference"));
    }
    check_quantities(root)?;
    let paths = names(required(root, "Paths")?, "", "Path");
    if paths.len() > MAX_INVALIDATION_PATHS {
        return Err(ApiError::bad_request(
            "BatchTooLarge",
            format!("Invalidation batch specified is too large (at most {MAX_INVALIDATION_PATHS} paths)."),
        ));
    }
    if paths.is_empty() || paths.iter().any(|p| !p.starts_with('/') || p.find('*').is_some_and(|i| i + 1 != p.len())) {
        return Err(ApiError::bad_request(
            "InvalidArgument",
            "Your request contains one or more invalid invalidation paths: each starts with / and may end with *.",
        ));
    }

    let now = ctx.now_ms();
    let completes = now.saturating_add(ctx.timing.invalidation_ms());
    let outcome = cf.write(|s| {
        if !s.distributions.contains(id) {
            return Err(no_such_distribution(id));
        }
        // The same batch sent twice (a retry) is the same invalidation, as in AWS.
        let prefix = format!("{id}/");
        if let Some(existing) = s.invalidations.with_prefix(&prefix).find(|i| i.caller_reference == caller_reference) {
            if existing.paths != paths {
                return Err(ApiError::new(
                    StatusCode::CONFLICT,
                    "InvalidationBatchAlreadyExists",
                    "An invalidation with this CallerReference already exists with different paths.",
                ));
            }
            return Ok(existing.clone());
        }
        let invalidation = Invalidation {
            distribution_id: id.to_string(),
            id: format!("I{}", ids::upper_alnum(25)),
            caller_reference,
            paths,
            created: now,
            completes,
        };
        s.add_invalidation(invalidation.clone());
        Ok(invalidation)
    })?;
    // A new invalidation always starts InProgress, however fast the lab completes it.
    let status = if outcome.created == now { "InProgress" } else { outcome.status(now) };
    let mut response = xml_document(StatusCode::CREATED, &invalidation_xml(&outcome, status));
    set_header(
        &mut response,
        "Location",
        &format!(
            "https://cloudfront.amazonaws.com/{}/distribution/{id}/invalidation/{}",
            super::API_VERSION,
            outcome.id
        ),
    );
    Ok(response)
}

pub fn get_invalidation(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    id: &str,
    invalidation_id: &str,
) -> Result<Response, ApiError> {
    let now = ctx.now_ms();
    let found = with_distribution(cf, id, |s, _| s.invalidations.get(&format!("{id}/{invalidation_id}")).cloned())?;
    let invalidation = found.ok_or_else(|| {
        ApiError::new(
            StatusCode::NOT_FOUND,
            "NoSuchInvalidation",
            format!("The specified invalidation does not exist: {invalidation_id}"),
        )
    })?;
    Ok(xml_document(StatusCode::OK, &invalidation_xml(&invalidation, invalidation.status(now))))
}

pub fn list_invalidations(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    id: &str,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let marker = req.query_param("Marker").unwrap_or_default().to_string();
    let now = ctx.now_ms();
    let newest_first: Vec<Invalidation> =
        with_distribution(cf, id, |s, _| s.invalidations_of(id).into_iter().cloned().collect())?;
    // A marker is the id the next page starts at (what NextMarker said).
    let start = if marker.is_empty() { 0 } else { newest_first.iter().position(|i| i.id == marker).unwrap_or(0) };
    let page: Vec<&Invalidation> = newest_first.iter().skip(start).take(max).collect();
    let next = newest_first.get(start + page.len());
    let items: String = page
        .iter()
        .map(|i| {
            format!(
                "<InvalidationSummary><Id>{}</Id><CreateTime>{}</CreateTime><Status>{}</Status></InvalidationSummary>",
                xml_escape(&i.id),
                iso8601(i.created),
                i.status(now)
            )
        })
        .collect();
    let next_marker = next.map(|n| format!("<NextMarker>{}</NextMarker>", xml_escape(&n.id))).unwrap_or_default();
    let body = format!(
        "<InvalidationList xmlns=\"{NAMESPACE}\"><Marker>{}</Marker>{next_marker}<MaxItems>{max}</MaxItems>\
         <IsTruncated>{}</IsTruncated><Quantity>{}</Quantity><Items>{items}</Items></InvalidationList>",
        xml_escape(&marker),
        next.is_some(),
        page.len()
    );
    Ok(xml_document(StatusCode::OK, &body))
}
