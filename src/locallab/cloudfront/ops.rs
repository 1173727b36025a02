//! CloudFront's distribution and invalidation operations: GetDistribution(Config),
//! UpdateDistribution with ETags, ListDistributions, and invalidations.

use aws_smithy_types::DateTime;
use axum::response::Response;
use http::StatusCode;

use super::config::{DistributionConfig, InvalidationBatch, List};
use super::documents::{self, DistributionState, DistributionStatus, InvalidationStatus};
use super::model::{CloudFrontState, ConfigDocument, Distribution, Invalidation, new_etag};
use super::settings::EdgeSettings;
use super::xml::{answer, body_text, max_items, with_etag};
use crate::locallab::machinery::clock::Millis;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::ids;
use crate::locallab::machinery::store::Slice;
use crate::locallab::machinery::wire::{ApiError, AwsRequest, set_header};
use crate::locallab::machinery::xml::WireError;

/// CloudFront's quotas on invalidations, from "Concurrent invalidation request maximum"
/// (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/InvalidationLimits.html):
/// up to 3,000 file paths per distribution in progress at once (so at most 3,000 in one
/// batch), and, independently, up to 15 wildcard paths in progress. Beyond them CloudFront
/// answers `TooManyInvalidationsInProgress` (and `BatchTooLarge` for one batch too large).
const MAX_INVALIDATION_PATHS: usize = 3000;
const MAX_FILE_PATHS_IN_PROGRESS: usize = 3000;
const MAX_WILDCARD_PATHS_IN_PROGRESS: usize = 15;
/// "Maximum length of a URL: 8,192 bytes" (CloudFront's quotas on requests,
/// https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/cloudfront-limits.html):
/// a longer path could never match a request.
const MAX_PATH_BYTES: usize = 8192;
/// How much completed history the lab keeps per distribution (walab's own bound: AWS keeps it
/// all): the newest invalidations, at most this many, and at most this many bytes of paths.
pub const HISTORY_KEPT: usize = 100;
pub const HISTORY_BYTES: usize = 256 * 1024;

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

fn status(d: &Distribution, now: Millis, deploy_ms: Millis) -> DistributionStatus {
    if d.is_deployed(now, deploy_ms) { DistributionStatus::Deployed } else { DistributionStatus::InProgress }
}

/// `just_updated`: the answer to the update itself, always `InProgress` as in AWS, however
/// fast the lab deploys.
fn distribution_document(
    cf: &CloudFrontState,
    d: &Distribution,
    now: Millis,
    deploy_ms: Millis,
    just_updated: bool,
) -> documents::Distribution {
    let status = if just_updated { DistributionStatus::InProgress } else { status(d, now, deploy_ms) };
    let in_progress = cf.invalidations_of(&d.id).iter().filter(|i| now < i.completes).count();
    documents::Distribution {
        id: d.id.clone(),
        arn: d.arn.clone(),
        status,
        last_modified_time: DateTime::from_millis(d.last_modified),
        in_progress_invalidation_batches: i32::try_from(in_progress).unwrap_or(i32::MAX),
        domain_name: d.domain.clone(),
        active_trusted_signers: Default::default(),
        active_trusted_key_groups: Default::default(),
        distribution_config: d.config.config.clone(),
        alias_icp_recordals: None,
    }
}

pub fn list_distributions(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let max = max_items(req)?;
    let now = ctx.now_ms();
    let deploy_ms = ctx.timing.deploy_ms();
    let list = cf.read(|s| {
        let summaries = s.distributions.values().take(max).map(|d| {
            let state = DistributionState {
                id: d.id.clone(),
                arn: d.arn.clone(),
                e_tag: d.etag.clone(),
                status: status(d, now, deploy_ms),
                last_modified_time: DateTime::from_millis(d.last_modified),
                domain_name: d.domain.clone(),
            };
            documents::DistributionSummary::new(state, &d.config.config)
        });
        documents::DistributionList {
            marker: req.query_param("Marker").unwrap_or_default().to_string(),
            next_marker: None,
            max_items: i32::try_from(max).unwrap_or(i32::MAX),
            is_truncated: false,
            summaries: summaries.collect(),
        }
    });
    Ok(answer(StatusCode::OK, list.to_xml()))
}

pub fn get_distribution(ctx: &AccountContext, cf: &Slice<CloudFrontState>, id: &str) -> Result<Response, ApiError> {
    let now = ctx.now_ms();
    let deploy_ms = ctx.timing.deploy_ms();
    let (document, etag) =
        with_distribution(cf, id, |s, d| (distribution_document(s, d, now, deploy_ms, false), d.etag.clone()))?;
    Ok(with_etag(answer(StatusCode::OK, document.to_xml()), &etag))
}

pub fn get_distribution_config(cf: &Slice<CloudFrontState>, id: &str) -> Result<Response, ApiError> {
    let (xml, etag) = with_distribution(cf, id, |_, d| (d.config.config.to_xml(), d.etag.clone()))?;
    Ok(with_etag(answer(StatusCode::OK, xml), &etag))
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
    let config = DistributionConfig::from_xml(body_text(req)?)?;

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
        if config.caller_reference.trim() != current.config.config.caller_reference.trim() {
            return Err(ApiError::bad_request(
                "IllegalUpdate",
                "The update contains modifications that are not allowed: CallerReference cannot change.",
            ));
        }
        // Derive now so a configuration the edge could not use is refused, as AWS validates it.
        EdgeSettings::derive(&config, api_domain, |pid| s.policy_config(pid))?;

        s.distributions.update(id, |d| {
            if d.is_deployed(now, deploy_ms) {
                d.deployed = d.config.clone();
            }
            d.config = ConfigDocument::new(config);
            d.last_modified = now;
            d.etag = new_etag();
        });
        let d = s.distributions.get(id).ok_or_else(|| no_such_distribution(id))?;
        Ok((distribution_document(s, d, now, deploy_ms, true), d.etag.clone()))
    })?;
    let (document, etag) = body_and_etag;
    Ok(with_etag(answer(StatusCode::OK, document.to_xml()), &etag))
}

fn invalidation_document(inv: &Invalidation, status: InvalidationStatus) -> documents::Invalidation {
    documents::Invalidation {
        id: inv.id.clone(),
        status,
        create_time: DateTime::from_millis(inv.created),
        invalidation_batch: InvalidationBatch {
            paths: List::new(inv.paths.clone()),
            caller_reference: inv.caller_reference.clone(),
        },
    }
}

/// Refuses a batch that would take the distribution past CloudFront's in-progress quotas.
fn check_in_progress(s: &CloudFrontState, id: &str, paths: &[String], now: Millis) -> Result<(), ApiError> {
    let in_progress: Vec<&String> =
        s.invalidations_of(id).into_iter().filter(|i| now < i.completes).flat_map(|i| &i.paths).chain(paths).collect();
    let wildcards = in_progress.iter().filter(|p| p.ends_with('*')).count();
    let files = in_progress.len() - wildcards;
    if wildcards > MAX_WILDCARD_PATHS_IN_PROGRESS || files > MAX_FILE_PATHS_IN_PROGRESS {
        return Err(ApiError::bad_request(
            "TooManyInvalidationsInProgress",
            format!(
                "Processing your request would cause the maximum number of in-progress invalidations to be exceeded \
                 ({MAX_FILE_PATHS_IN_PROGRESS} paths, {MAX_WILDCARD_PATHS_IN_PROGRESS} of them wildcards). \
                 Wait for some to complete."
            ),
        ));
    }
    Ok(())
}

pub fn create_invalidation(
    ctx: &AccountContext,
    cf: &Slice<CloudFrontState>,
    id: &str,
    req: &AwsRequest,
) -> Result<Response, ApiError> {
    let batch = InvalidationBatch::from_xml(body_text(req)?)?;
    let caller_reference = batch.caller_reference.trim().to_string();
    if caller_reference.is_empty() {
        return Err(WireError::Malformed("InvalidationBatch must contain CallerReference".into()).into());
    }
    let paths: Vec<String> = batch.paths.iter().map(|p| p.trim().to_string()).collect();
    if paths.len() > MAX_INVALIDATION_PATHS {
        return Err(ApiError::bad_request(
            "BatchTooLarge",
            format!("Invalidation batch specified is too large (at most {MAX_INVALIDATION_PATHS} paths)."),
        ));
    }
    if paths.is_empty()
        || paths
            .iter()
            .any(|p| !p.starts_with('/') || p.len() > MAX_PATH_BYTES || p.find('*').is_some_and(|i| i + 1 != p.len()))
    {
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
        check_in_progress(s, id, &paths, now)?;
        let invalidation = Invalidation {
            distribution_id: id.to_string(),
            id: format!("I{}", ids::upper_alnum(25)),
            caller_reference,
            paths,
            created: now,
            completes,
        };
        s.add_invalidation(invalidation.clone());
        s.prune_history(id, now, HISTORY_KEPT, HISTORY_BYTES);
        Ok(invalidation)
    })?;
    // A new invalidation always starts InProgress, however fast the lab completes it.
    let status = if outcome.created == now { InvalidationStatus::InProgress } else { outcome.status(now) };
    let mut response = answer(StatusCode::CREATED, invalidation_document(&outcome, status).to_xml());
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
    let document = invalidation_document(&invalidation, invalidation.status(now));
    Ok(answer(StatusCode::OK, document.to_xml()))
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
    let list = documents::InvalidationList {
        marker,
        next_marker: next.map(|n| n.id.clone()),
        max_items: i32::try_from(max).unwrap_or(i32::MAX),
        is_truncated: next.is_some(),
        summaries: page
            .iter()
            .map(|i| documents::InvalidationSummary {
                id: i.id.clone(),
                create_time: DateTime::from_millis(i.created),
                status: i.status(now),
            })
            .collect(),
    };
    Ok(answer(StatusCode::OK, list.to_xml()))
}
