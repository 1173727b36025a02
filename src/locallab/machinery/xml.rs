//! What the XML protocols share: reading a request document into a typed model and writing a
//! typed model as a document, both with `quick-xml`'s serde support, so that handlers never
//! format or pick apart XML themselves.
//!
//! Reading is two linear passes over the text. The first is a streaming check of what serde
//! cannot see: well-formedness, no DTD (so no entity can expand), a bounded depth, the
//! expected root element and namespace, and for CloudFront's counted lists that every
//! `Quantity` agrees with its `Items`. The second deserializes into the model, whose types
//! refuse unknown elements, so nothing a client sent is dropped silently.

use std::fmt;
use std::marker::PhantomData;

use quick_xml::events::Event;
use serde::de::{self, DeserializeOwned, DeserializeSeed, IntoDeserializer, MapAccess, Visitor};
use serde::{Serialize, Serializer};

#[cfg(test)]
pub(crate) mod loopback;

/// Deeper than any document of the models here; deeper input is refused, not recursed into.
const MAX_DEPTH: usize = 32;
/// The models' elements carry no attributes but the root's `xmlns`; a few are passed over by
/// the model, more are refused here, counted without quick-xml's duplicate check, which
/// compares each attribute with every one before it (quadratic: 90,000 of them took 13 s).
const MAX_ATTRIBUTES: usize = 8;

/// Why a request document was refused, with the error code the service answers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum WireError {
    /// Not well-formed, or not valid against the model (`MalformedXML`).
    Malformed(String),
    /// A counted list whose `Quantity` is not the number of its `Items` (CloudFront).
    InconsistentQuantities { element: String, stated: usize, given: usize },
}

impl WireError {
    pub fn code(&self) -> &'static str {
        match self {
            WireError::Malformed(_) => "MalformedXML",
            WireError::InconsistentQuantities { .. } => "InconsistentQuantities",
        }
    }

    fn malformed(detail: impl fmt::Display) -> Self {
        WireError::Malformed(detail.to_string())
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            WireError::Malformed(detail) => write!(
                f,
                "The XML you provided was not well-formed or did not validate against our published schema: {detail}"
            ),
            WireError::InconsistentQuantities { element, stated, given } => write!(
                f,
                "The value of Quantity and the size of Items don't match in {element} ({stated} stated, {given} given)."
            ),
        }
    }
}

impl std::error::Error for WireError {}

/// What a request document must look like before its content is read.
#[derive(Debug, Clone, Copy)]
pub struct Expect {
    /// The root element's name.
    pub root: &'static str,
    /// The root's `xmlns`, when it has one (clients send it; a different one is refused).
    pub namespace: &'static str,
    /// Check CloudFront's `<Quantity>n</Quantity><Items>…</Items>` lists.
    pub counted_lists: bool,
}

/// Reads a request document into `T` (the root element's content; its `xmlns` is checked,
/// not kept).
pub fn from_document<T: DeserializeOwned>(xml: &str, expect: &Expect) -> Result<T, WireError> {
    check(xml, expect)?;
    let mut deserializer = quick_xml::de::Deserializer::from_str(xml);
    let mut track = serde_path_to_error::Track::new();
    let tracked = serde_path_to_error::Deserializer::new(&mut deserializer, &mut track);
    let result = de::Deserializer::deserialize_struct(tracked, expect.root, &[], RootVisitor::<T>(PhantomData));
    result.map_err(|e| {
        let path = track.path().to_string();
        if path == "." || path.is_empty() {
            WireError::malformed(e)
        } else {
            WireError::malformed(format!("{}/{path}: {e}", expect.root))
        }
    })
}

/// Writes `value` as a whole document: the XML declaration, then `root` with `xmlns`.
pub fn to_document<T: Serialize>(root: &'static str, namespace: &'static str, value: &T) -> String {
    let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    let written = quick_xml::se::Serializer::with_root(&mut out, Some(root))
        .and_then(|serializer| Rooted { xmlns: namespace, content: value }.serialize(serializer));
    // The models are plain structs, strings, numbers and sequences, which the serializer
    // always writes; a failure is a bug in a model, found by its tests.
    if let Err(e) = written {
        unreachable!("the {root} model does not serialize: {e}");
    }
    out
}

/// A model's fields under a root element that also carries the namespace.
#[derive(Serialize)]
struct Rooted<'a, T> {
    #[serde(rename = "@xmlns")]
    xmlns: &'static str,
    #[serde(flatten)]
    content: &'a T,
}

/// Deserializes the root element's content as `T`, passing over the root's `xmlns`.
struct RootVisitor<T>(PhantomData<T>);

impl<'de, T: de::Deserialize<'de>> Visitor<'de> for RootVisitor<T> {
    type Value = T;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a document")
    }

    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        T::deserialize(de::value::MapAccessDeserializer::new(WithoutNamespace(map)))
    }
}

struct WithoutNamespace<A>(A);

impl<'de, A: MapAccess<'de>> MapAccess<'de> for WithoutNamespace<A> {
    type Error = A::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(&mut self, seed: K) -> Result<Option<K::Value>, A::Error> {
        loop {
            match self.0.next_key::<String>()? {
                None => return Ok(None),
                Some(key) if key == "@xmlns" => {
                    self.0.next_value::<de::IgnoredAny>()?;
                }
                Some(key) => return seed.deserialize(key.into_deserializer()).map(Some),
            }
        }
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, A::Error> {
        self.0.next_value_seed(seed)
    }
}

/// One open element during the check.
struct Open {
    name: String,
    kind: Kind,
    /// For a list: the text of its `Quantity`, and how many elements its `Items` holds.
    quantity: Option<String>,
    items: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Plain,
    Quantity,
    Items,
}

/// The first pass: one streaming read, constant work per event.
fn check(xml: &str, expect: &Expect) -> Result<(), WireError> {
    let mut reader = quick_xml::Reader::from_str(xml);
    let mut stack: Vec<Open> = Vec::new();
    let mut root_seen = false;
    loop {
        let event = reader
            .read_event()
            .map_err(|e| WireError::malformed(format!("{e} at byte {}", reader.error_position())))?;
        match event {
            Event::Eof => break,
            Event::DocType(_) => return Err(WireError::malformed("a document type declaration is not allowed")),
            Event::Start(ref e) | Event::Empty(ref e) => {
                let name = e.name().as_ref().to_string();
                if e.attributes().with_checks(false).nth(MAX_ATTRIBUTES).is_some() {
                    return Err(WireError::malformed(format!("{name} carries more than {MAX_ATTRIBUTES} attributes")));
                }
                if stack.is_empty() {
                    if root_seen {
                        return Err(WireError::malformed("a document has one root element"));
                    }
                    root_seen = true;
                    if name != expect.root {
                        return Err(WireError::malformed(format!("expected {}, found {name}", expect.root)));
                    }
                    for attribute in e.attributes() {
                        let attribute = attribute.map_err(WireError::malformed)?;
                        let value = attribute
                            .normalized_value(quick_xml::XmlVersion::Implicit1_0)
                            .map_err(WireError::malformed)?;
                        if attribute.key.as_ref() != "xmlns" || value != expect.namespace {
                            return Err(WireError::malformed(format!(
                                "{name} may carry only xmlns=\"{}\"",
                                expect.namespace
                            )));
                        }
                    }
                }
                if stack.len() >= MAX_DEPTH {
                    return Err(WireError::malformed(format!("elements nest deeper than {MAX_DEPTH}")));
                }
                let kind = match stack.last_mut() {
                    Some(parent) if parent.kind == Kind::Items => {
                        parent.items += 1;
                        Kind::Plain
                    }
                    Some(_) if expect.counted_lists && name == "Quantity" => Kind::Quantity,
                    Some(_) if expect.counted_lists && name == "Items" => Kind::Items,
                    _ => Kind::Plain,
                };
                stack.push(Open { name, kind, quantity: None, items: 0 });
                if matches!(event, Event::Empty(_)) {
                    close(&mut stack)?;
                }
            }
            Event::End(_) => close(&mut stack)?,
            Event::Text(ref t) => {
                if let Some(open) = stack.last_mut() {
                    if open.kind == Kind::Quantity {
                        open.quantity.get_or_insert_with(String::new).push_str(&t.xml10_content());
                    }
                } else if !t.trim().is_empty() {
                    return Err(WireError::malformed("text outside the root element"));
                }
            }
            Event::GeneralRef(ref r) => {
                let known = matches!(&**r, "amp" | "lt" | "gt" | "quot" | "apos");
                if !known && !r.resolve_char_ref().is_ok_and(|c| c.is_some()) {
                    return Err(WireError::malformed(format!("the entity &{}; is not defined", &**r)));
                }
                match stack.last_mut() {
                    // A number is digits only; a reference inside one makes it unreadable.
                    Some(open) if open.kind == Kind::Quantity => {
                        open.quantity.get_or_insert_with(String::new).push('&');
                    }
                    Some(_) => {}
                    None => return Err(WireError::malformed("text outside the root element")),
                }
            }
            Event::CData(_) | Event::Comment(_) | Event::Decl(_) | Event::PI(_) => {}
        }
    }
    if !root_seen {
        return Err(WireError::malformed(format!("expected {}, found no element", expect.root)));
    }
    Ok(())
}

fn close(stack: &mut Vec<Open>) -> Result<(), WireError> {
    let Some(open) = stack.pop() else {
        return Err(WireError::malformed("an end tag without its start"));
    };
    match open.kind {
        Kind::Quantity => {
            if let Some(list) = stack.last_mut() {
                list.quantity = Some(open.quantity.unwrap_or_default());
            }
        }
        Kind::Items => {
            // A list without Quantity is the model's to refuse (a missing member).
            if let Some(list) = stack.last_mut() {
                list.items = open.items;
            }
        }
        Kind::Plain => {
            if let Some(stated) = open.quantity {
                let stated: usize = stated
                    .trim()
                    .parse()
                    .map_err(|_| WireError::malformed(format!("{}/Quantity must be a number", open.name)))?;
                if stated != open.items {
                    return Err(WireError::InconsistentQuantities { element: open.name, stated, given: open.items });
                }
            }
        }
    }
    Ok(())
}

/// An error answer of the XML protocols (REST XML and query):
/// `<ErrorResponse><Error><Type/><Code/><Message/></Error><RequestId/></ErrorResponse>`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorResponse {
    pub error: ErrorDetail,
    pub request_id: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "PascalCase")]
pub struct ErrorDetail {
    #[serde(rename = "Type")]
    pub kind: ErrorKind,
    pub code: String,
    pub message: String,
}

/// Whose fault: `Sender` (4xx) or `Receiver` (5xx).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub enum ErrorKind {
    Sender,
    Receiver,
}

impl ErrorResponse {
    pub fn new(
        server_fault: bool,
        code: impl Into<String>,
        message: impl Into<String>,
        request_id: impl Into<String>,
    ) -> Self {
        let kind = if server_fault { ErrorKind::Receiver } else { ErrorKind::Sender };
        ErrorResponse {
            error: ErrorDetail { kind, code: code.into(), message: message.into() },
            request_id: request_id.into(),
        }
    }

    /// The document, in the service's namespace.
    pub fn to_xml(&self, namespace: &'static str) -> String {
        to_document("ErrorResponse", namespace, self)
    }
}

/// Serializes a timestamp as the XML protocols write them (`2020-05-31T12:00:00.123Z`).
pub fn date_time<S: Serializer>(value: &aws_smithy_types::DateTime, serializer: S) -> Result<S::Ok, S::Error> {
    let text = value.fmt(aws_smithy_types::date_time::Format::DateTime).map_err(serde::ser::Error::custom)?;
    serializer.serialize_str(&text)
}

#[cfg(test)]
mod tests {
    use serde::Deserialize;

    use super::*;

    #[derive(Debug, PartialEq, Serialize, Deserialize)]
    #[serde(rename_all = "PascalCase", deny_unknown_fields)]
    struct Doc {
        name: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        comment: Option<String>,
    }

    const DOC: Expect = Expect { root: "Doc", namespace: "urn:x", counted_lists: true };

    fn read(xml: &str) -> Result<Doc, WireError> {
        from_document(xml, &DOC)
    }

    #[test]
    fn writes_and_reads_back() {
        let doc = Doc { name: " a & <b> ".into(), comment: Some(String::new()) };
        let xml = to_document("Doc", "urn:x", &doc);
        assert!(xml.starts_with("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Doc xmlns=\"urn:x\">"), "{xml}");
        assert_eq!(read(&xml).unwrap(), doc);
        let none = Doc { name: "n".into(), comment: None };
        assert_eq!(read(&to_document("Doc", "urn:x", &none)).unwrap(), none);
    }

    #[test]
    fn refuses_what_is_not_a_valid_document() {
        for (xml, detail) in [
            ("<Doc><Name>x</Name>", "Doc"),
            ("<Doc><Name>x</Nam></Doc>", "Nam"),
            ("<!DOCTYPE Doc [<!ENTITY e \"x\">]><Doc><Name>&e;</Name></Doc>", "document type declaration"),
            ("<Doc><Name>&e;</Name></Doc>", "&e;"),
            ("<Other><Name>x</Name></Other>", "expected Doc, found Other"),
            ("<Doc xmlns=\"urn:y\"><Name>x</Name></Doc>", "xmlns"),
            ("<Doc><Name>x</Name></Doc><Doc/>", "one root"),
            ("<Doc><Name>x</Name><Extra/></Doc>", "unknown field `Extra`"),
            ("<Doc><Comment>x</Comment></Doc>", "missing field `Name`"),
            ("", "found no element"),
        ] {
            let e = read(xml).unwrap_err();
            assert_eq!(e.code(), "MalformedXML", "{xml}");
            let message = e.to_string();
            assert!(message.starts_with(
                "The XML you provided was not well-formed or did not validate against our published schema: "
            ));
            assert!(message.contains(detail), "{xml}: {message}");
        }
    }

    #[test]
    fn counts_attributes_before_anything_compares_them() {
        let with = |n: usize| {
            let attributes: String = (0..n).map(|i| format!(" a{i}=\"{i}\"")).collect();
            format!("<Doc xmlns=\"urn:x\"><Name>x</Name><Comment{attributes}>c</Comment></Doc>")
        };
        // Up to the bound, the document is read as before (the model has no use for them).
        assert_eq!(read(&with(MAX_ATTRIBUTES)).unwrap(), Doc { name: "x".into(), comment: Some("c".into()) });
        let over = read(&with(MAX_ATTRIBUTES + 1)).unwrap_err();
        assert_eq!(over.code(), "MalformedXML");
        assert!(over.to_string().contains("Comment carries more than 8 attributes"), "{over}");
        // 90,000 of them (about 1 MB) are refused at the ninth: no pass compares them all.
        let many = with(90_000);
        assert!(many.len() > 900_000);
        assert!(read(&many).unwrap_err().to_string().contains("more than 8"));
    }

    #[test]
    fn refuses_deep_nesting_without_recursing() {
        let xml = format!("<Doc>{}{}</Doc>", "<A>".repeat(100_000), "</A>".repeat(100_000));
        assert!(read(&xml).unwrap_err().to_string().contains("deeper"));
    }

    #[test]
    fn counted_lists_must_agree() {
        let e = read("<Doc><Headers><Quantity>2</Quantity><Items><Name>x</Name></Items></Headers></Doc>").unwrap_err();
        assert_eq!(e, WireError::InconsistentQuantities { element: "Headers".into(), stated: 2, given: 1 });
        assert_eq!(e.code(), "InconsistentQuantities");
        assert_eq!(
            e.to_string(),
            "The value of Quantity and the size of Items don't match in Headers (2 stated, 1 given)."
        );
        let e = read("<Doc><Headers><Quantity>1</Quantity></Headers></Doc>").unwrap_err();
        assert_eq!(e.code(), "InconsistentQuantities");
        let e = read("<Doc><Headers><Items><Name>x</Name></Items><Quantity>2</Quantity></Headers></Doc>").unwrap_err();
        assert_eq!(e.code(), "InconsistentQuantities", "Quantity after Items: {e}");
        let e = read("<Doc><Headers><Quantity>x</Quantity><Items/></Headers></Doc>").unwrap_err();
        assert!(e.to_string().contains("Headers/Quantity must be a number"), "{e}");
        // Consistent lists pass the check (and then meet the model, which has no Headers).
        let e = read("<Doc><Headers><Quantity>0</Quantity></Headers></Doc>").unwrap_err();
        assert!(e.to_string().contains("unknown field `Headers`"), "{e}");
    }

    #[test]
    fn names_where_a_value_is_wrong() {
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        struct Outer {
            #[allow(dead_code)]
            inner: Inner,
        }
        #[derive(Debug, Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields)]
        struct Inner {
            #[allow(dead_code)]
            port: i32,
        }
        let expect = Expect { root: "Outer", namespace: "urn:x", counted_lists: false };
        let e = from_document::<Outer>("<Outer><Inner><Port>x</Port></Inner></Outer>", &expect).unwrap_err();
        assert!(e.to_string().contains("Outer/Inner.Port: "), "{e}");
    }

    #[test]
    fn the_tree_comparison_sees_differences() {
        use loopback::assert_same_tree;
        assert_same_tree("<a x=\"1\"><b/><c>t</c></a>", "<a x=\"1\">\n  <b></b>\n  <c>t</c>\n</a>");
        for other in [
            "<a x=\"1\"><c>t</c><b/></a>",
            "<a x=\"1\"><b/><c>t </c></a>",
            "<a><b/><c>t</c></a>",
            "<a x=\"1\"><b/></a>",
        ] {
            let differs = std::panic::catch_unwind(|| assert_same_tree("<a x=\"1\"><b/><c>t</c></a>", other));
            assert!(differs.is_err(), "{other}");
        }
    }

    #[test]
    fn error_documents() {
        let xml = ErrorResponse::new(false, "NoSuchDistribution", "gone <now>", "r-1").to_xml("urn:x");
        assert!(xml.contains(
            "<ErrorResponse xmlns=\"urn:x\"><Error><Type>Sender</Type><Code>NoSuchDistribution</Code>\
             <Message>gone &lt;now&gt;</Message></Error><RequestId>r-1</RequestId></ErrorResponse>"
        ));
    }
}
