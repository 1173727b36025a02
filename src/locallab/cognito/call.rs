//! What every Cognito operation works on: the account it was called for and its Cognito state.
//! Each handler of the operation table takes it first (`fn(&Call, Input)`).

use super::state::CognitoState;
use crate::locallab::machinery::context::AccountContext;
use crate::locallab::machinery::store::Slice;

pub struct Call<'a> {
    pub ctx: &'a AccountContext,
    pub cognito: &'a Slice<CognitoState>,
}
