//! Whether an emulated operation needs a SigV4 signature, as each service's operation table
//! says; the router enforces it in one place ([`super::resolve::control_plane`]).

/// Whether an operation needs a signature and, when it does not, how its account is found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Signing {
    /// AWS answers it only when it is signed.
    Signed,
    /// Callable without credentials; the account is the one of the app client in `ClientId`.
    ByClientId,
    /// Callable without credentials; the account is the one of the pool that issued the
    /// `AccessToken`.
    ByAccessToken,
}
