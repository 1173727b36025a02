//! Reading and answering with CloudFront's XML documents.

use axum::response::Response;
use http::StatusCode;
use roxmltree::{Document, Node};

use crate::locallab::wire::{ApiError, AwsRequest, set_header, xml_response};

/// The namespace of CloudFront's documents.
pub const NAMESPACE: &str = "http://cloudfront.amazonaws.com/doc/2020-05-31/";

/// The most items a list answer holds.
const DEFAULT_MAX_ITEMS: usize = 100;

pub fn malformed(detail: impl std::fmt::Display) -> ApiError {
    ApiError::bad_request(
        "MalformedXML",
        format!("The XML you provided was not well-formed or did not validate against our published schema: {detail}"),
    )
}

pub fn parse(xml: &str) -> Result<Document<'_>, ApiError> {
    // roxmltree refuses DTDs by default, so entity expansion cannot be abused.
    Document::parse(xml).map_err(malformed)
}

pub fn body_text(req: &AwsRequest) -> Result<&str, ApiError> {
    if req.body.is_empty() {
        return Err(ApiError::bad_request(
            "MissingBody",
            "This operation requires a body. Ensure that the body is present.",
        ));
    }
    std::str::from_utf8(&req.body).map_err(|_| malformed("the body is not UTF-8"))
}

pub fn child<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Option<Node<'a, 'i>> {
    node.children().find(|c| c.is_element() && c.tag_name().name() == name)
}

pub fn elements<'a, 'i>(node: Node<'a, 'i>, name: &'a str) -> impl Iterator<Item = Node<'a, 'i>> + 'a {
    node.children().filter(move |c| c.is_element() && c.tag_name().name() == name)
}

pub fn required<'a, 'i>(node: Node<'a, 'i>, name: &str) -> Result<Node<'a, 'i>, ApiError> {
    child(node, name).ok_or_else(|| malformed(format!("{} must contain {name}", node.tag_name().name())))
}

/// The text of a child element; an empty element reads as "".
pub fn text<'a>(node: Node<'a, '_>, name: &str) -> Option<&'a str> {
    child(node, name).map(|c| c.text().unwrap_or_default().trim())
}

pub fn parse_bool(node: Node) -> Result<bool, ApiError> {
    match node.text().unwrap_or_default().trim() {
        "true" => Ok(true),
        "false" => Ok(false),
        other => Err(malformed(format!("{} must be true or false, not {other}", node.tag_name().name()))),
    }
}

/// The item texts of `<list><Quantity/><Items><item/>…</Items></list>` under `node` (or of
/// `node`'s own `Items` when `list` is empty).
pub fn names(node: Node, list: &str, item: &str) -> Vec<String> {
    let list = if list.is_empty() { Some(node) } else { child(node, list) };
    list.and_then(|l| child(l, "Items"))
        .map(|items| elements(items, item).map(|n| n.text().unwrap_or_default().trim().to_string()).collect())
        .unwrap_or_default()
}

/// CloudFront's lists carry their own length; a mismatch is refused as AWS does.
pub fn check_quantities(root: Node) -> Result<(), ApiError> {
    for node in root.descendants().filter(|n| n.is_element()) {
        let Some(quantity) = child(node, "Quantity") else { continue };
        let stated: usize = quantity
            .text()
            .unwrap_or_default()
            .trim()
            .parse()
            .map_err(|_| malformed(format!("{}/Quantity must be a number", node.tag_name().name())))?;
        let actual = child(node, "Items").map(|items| items.children().filter(|c| c.is_element()).count()).unwrap_or(0);
        if stated != actual {
            return Err(ApiError::bad_request(
                "InconsistentQuantities",
                format!(
                    "The value of Quantity and the size of Items don't match in {} ({stated} stated, {actual} given).",
                    node.tag_name().name()
                ),
            ));
        }
    }
    Ok(())
}

/// The root element of a document, as stored (without the XML declaration).
pub fn root_slice<'a>(xml: &'a str, doc: &Document) -> &'a str {
    xml.get(doc.root_element().range()).unwrap_or(xml)
}

pub fn xml_document(status: StatusCode, body: &str) -> Response {
    xml_response(status, format!("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n{body}"))
}

pub fn with_etag(mut response: Response, etag: &str) -> Response {
    set_header(&mut response, "ETag", etag);
    response
}

pub fn max_items(req: &AwsRequest) -> Result<usize, ApiError> {
    match req.query_param("MaxItems") {
        None | Some("") => Ok(DEFAULT_MAX_ITEMS),
        Some(v) => v
            .parse::<usize>()
            .map(|n| n.min(DEFAULT_MAX_ITEMS))
            .map_err(|_| ApiError::bad_request("InvalidArgument", format!("MaxItems must be a number, not {v}"))),
    }
}
