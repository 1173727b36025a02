//! CloudFront's counted list, modelled once: `<Quantity>n</Quantity><Items><Item/>…</Items>`.
//!
//! The `Quantity` is never stored: it is written as the number of items, so what the lab
//! writes is always consistent (what a client sends is checked by `xml::from_document`).
//! Whether `Items` was there at all is kept, because clients tell `<Quantity>0</Quantity>`
//! from `<Quantity>0</Quantity><Items/>` (`None` and `Some(vec![])` in the SDK).
//!
//! The store keeps the same models as JSON (`{"Quantity": 1, "Items": {"Origin": [...]}}`),
//! written and read by these same impls.

use std::fmt;
use std::marker::PhantomData;
use std::ops::Deref;

use serde::de::{self, MapAccess, Visitor};
use serde::ser::SerializeStruct;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// The element name of a list's items (`Origin`, `CNAME`, `Name`, …).
pub trait ItemName {
    const NAME: &'static str;
}

/// A counted list of `T`, whose items are `<N::NAME>` elements. Struct items name
/// themselves (`List<Origin>`); text items say their name with a marker (`List<String, Cname>`).
pub struct List<T, N = T> {
    items: Option<Vec<T>>,
    name: PhantomData<fn() -> N>,
}

impl<T, N> List<T, N> {
    /// A list with an `Items` element holding `items`.
    pub fn new(items: Vec<T>) -> Self {
        List { items: Some(items), name: PhantomData }
    }

    /// An empty list written without `Items` (`<Quantity>0</Quantity>`).
    pub fn empty() -> Self {
        List { items: None, name: PhantomData }
    }

    /// `None` when the list has no `Items` element.
    pub fn items(&self) -> Option<&Vec<T>> {
        self.items.as_ref()
    }

    pub fn push(&mut self, item: T) {
        self.items.get_or_insert_with(Vec::new).push(item);
    }

    fn items_element(&self) -> Option<ItemsOf<'_, T, N>> {
        self.items.as_deref().map(|items| ItemsOf(items, PhantomData))
    }

    /// Writes this list's members (`Quantity`, `Items`) into an enclosing element, for the
    /// lists that have members of their own (`TrustedSigners`'s `Enabled`, …).
    pub(crate) fn serialize_members<S: SerializeStruct>(&self, s: &mut S) -> Result<(), S::Error>
    where
        T: Serialize,
        N: ItemName,
    {
        s.serialize_field("Quantity", &self.len())?;
        match self.items_element() {
            Some(items) => s.serialize_field("Items", &items),
            None => s.skip_field("Items"),
        }
    }
}

impl<T, N> Deref for List<T, N> {
    type Target = [T];

    fn deref(&self) -> &[T] {
        self.items.as_deref().unwrap_or_default()
    }
}

impl<T, N> From<Vec<T>> for List<T, N> {
    fn from(items: Vec<T>) -> Self {
        List::new(items)
    }
}

impl<T, N> FromIterator<T> for List<T, N> {
    fn from_iter<I: IntoIterator<Item = T>>(iter: I) -> Self {
        List::new(iter.into_iter().collect())
    }
}

impl<T, N> Default for List<T, N> {
    fn default() -> Self {
        List::empty()
    }
}

impl<T: Clone, N> Clone for List<T, N> {
    fn clone(&self) -> Self {
        List { items: self.items.clone(), name: PhantomData }
    }
}

impl<T: PartialEq, N> PartialEq for List<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.items == other.items
    }
}

impl<T: Eq, N> Eq for List<T, N> {}

impl<T: fmt::Debug, N> fmt::Debug for List<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.items {
            Some(items) => f.debug_list().entries(items).finish(),
            None => f.write_str("[no Items]"),
        }
    }
}

impl<T: Serialize, N: ItemName> Serialize for List<T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("List", 2)?;
        self.serialize_members(&mut s)?;
        s.end()
    }
}

impl<'de, T: Deserialize<'de>, N: ItemName> Deserialize<'de> for List<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        Ok(CountedList::<T, N>::deserialize(deserializer)?.into())
    }
}

/// A counted list as it is on the wire; the lists with members of their own read theirs
/// beside these two.
#[derive(Deserialize)]
#[serde(rename_all = "PascalCase", deny_unknown_fields, bound = "T: Deserialize<'de>, N: ItemName")]
pub(crate) struct CountedList<T, N> {
    #[allow(dead_code)] // checked against Items before the model is read
    quantity: usize,
    items: Option<Items<T, N>>,
}

impl<T, N> From<CountedList<T, N>> for List<T, N> {
    fn from(wire: CountedList<T, N>) -> Self {
        Items::into_list(wire.items)
    }
}

/// A counted list that can be switched off: `<Enabled/><Quantity/><Items><N/>…</Items>`
/// (a behavior's `TrustedSigners` and `TrustedKeyGroups`, a distribution's
/// `ActiveTrustedSigners` and `ActiveTrustedKeyGroups`).
pub struct EnabledList<T, N = T> {
    pub enabled: bool,
    pub items: List<T, N>,
}

// By hand, as for `List`: the marker `N` needs none of these.
impl<T: Clone, N> Clone for EnabledList<T, N> {
    fn clone(&self) -> Self {
        EnabledList { enabled: self.enabled, items: self.items.clone() }
    }
}

impl<T: PartialEq, N> PartialEq for EnabledList<T, N> {
    fn eq(&self, other: &Self) -> bool {
        self.enabled == other.enabled && self.items == other.items
    }
}

impl<T: Eq, N> Eq for EnabledList<T, N> {}

impl<T, N> Default for EnabledList<T, N> {
    fn default() -> Self {
        EnabledList { enabled: false, items: List::empty() }
    }
}

impl<T: fmt::Debug, N> fmt::Debug for EnabledList<T, N> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("EnabledList").field("enabled", &self.enabled).field("items", &self.items).finish()
    }
}

impl<T: Serialize, N: ItemName> Serialize for EnabledList<T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("EnabledList", 3)?;
        s.serialize_field("Enabled", &self.enabled)?;
        self.items.serialize_members(&mut s)?;
        s.end()
    }
}

impl<'de, T: Deserialize<'de>, N: ItemName> Deserialize<'de> for EnabledList<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(rename_all = "PascalCase", deny_unknown_fields, bound = "T: Deserialize<'de>, N: ItemName")]
        struct Wire<T, N> {
            enabled: bool,
            #[allow(dead_code)] // checked against Items before the model is read
            quantity: usize,
            items: Option<Items<T, N>>,
        }
        let wire = Wire::<T, N>::deserialize(deserializer)?;
        Ok(EnabledList { enabled: wire.enabled, items: Items::into_list(wire.items) })
    }
}

/// Writes `<Items><N/>…</Items>`.
struct ItemsOf<'a, T, N>(&'a [T], PhantomData<fn() -> N>);

impl<T: Serialize, N: ItemName> Serialize for ItemsOf<'_, T, N> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut s = serializer.serialize_struct("Items", 1)?;
        // A sequence in a field is written as one element per item, named by the field.
        s.serialize_field(N::NAME, self.0)?;
        s.end()
    }
}

/// Reads `<Items><N/>…</Items>`, refusing any other element inside.
pub(crate) struct Items<T, N>(Vec<T>, PhantomData<fn() -> N>);

impl<T, N> Items<T, N> {
    /// The list that has these items, or no `Items` element.
    pub(crate) fn into_list(items: Option<Self>) -> List<T, N> {
        List { items: items.map(|i| i.0), name: PhantomData }
    }
}

impl<'de, T: Deserialize<'de>, N: ItemName> Deserialize<'de> for Items<T, N> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct ItemsVisitor<T, N>(PhantomData<fn() -> (T, N)>);

        impl<'de, T: Deserialize<'de>, N: ItemName> Visitor<'de> for ItemsVisitor<T, N> {
            type Value = Items<T, N>;

            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "Items holding {} elements", N::NAME)
            }

            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut items = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    if key != N::NAME {
                        return Err(de::Error::custom(format!("Items holds {} elements, not {key}", N::NAME)));
                    }
                    if from_store::<A>() {
                        items.extend(map.next_value::<Vec<T>>()?);
                    } else {
                        items.push(map.next_value::<T>()?);
                    }
                }
                Ok(Items(items, PhantomData))
            }
        }

        deserializer.deserialize_struct("Items", &[], ItemsVisitor(PhantomData))
    }
}

/// True when the items are read from the store's JSON, which holds them as one array; XML
/// has one `<N>` element per item. Serde cannot ask a deserializer for its format, and the
/// XML reader cannot read the items as one sequence (in a sequence it takes an enum's variant
/// from the element's name, not its text), so the format is told by the reader's type.
fn from_store<A>() -> bool {
    std::any::type_name::<A>().contains("serde_json")
}

/// Markers naming the items of text lists.
macro_rules! item_names {
    ($($(#[$doc:meta])* $marker:ident = $name:literal;)*) => {$(
        $(#[$doc])*
        #[derive(Debug)]
        pub enum $marker {}

        impl ItemName for $marker {
            const NAME: &'static str = $name;
        }
    )*};
}

item_names! {
    /// `Aliases`.
    Cname = "CNAME";
    /// Header, cookie and query string names.
    Name = "Name";
    /// `AllowedMethods`, `CachedMethods`.
    MethodItem = "Method";
    /// `OriginSslProtocols`.
    SslProtocolItem = "SslProtocol";
    /// `TrustedSigners`.
    AwsAccountNumber = "AwsAccountNumber";
    /// `TrustedKeyGroups`.
    KeyGroup = "KeyGroup";
    /// `GeoRestriction`.
    Location = "Location";
    /// `StatusCodes`.
    StatusCode = "StatusCode";
    /// `Paths` of an invalidation.
    Path = "Path";
    /// `KeyPairIds` of an active trusted signer.
    KeyPairId = "KeyPairId";
}
