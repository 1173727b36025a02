//! The machinery every emulated service runs on: the listeners and how a request finds its
//! service and account ([`listen`], [`router`], [`resolve`]), SigV4 as AWS checks it
//! ([`sigv4`]) and which operations need it ([`signing`]), the wire shapes and errors the
//! protocols share ([`wire`], [`xml`]), the durable store ([`store`]), and the lab's clock, ids,
//! addresses and per-account context.

pub mod addresses;
pub mod clock;
pub mod context;
pub mod ids;
pub mod listen;
pub(crate) mod resolve;
pub(crate) mod router;
pub mod signing;
pub mod sigv4;
pub mod store;
pub mod wire;
pub mod xml;
