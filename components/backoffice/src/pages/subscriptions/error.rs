//! The subscriptions service's errors as the panel shows them: the status and code the
//! subscriptions API answers, and the refusals an operator meets in pt-BR.

use http_common::ApiError;
use subscriptions_client::error::On;
use subscriptions_client::subs::Error;

use crate::i18n::{self, Lang};

/// An error of the subscriptions service, as the subscriptions API answers it.
pub(super) fn from_service(error: &Error) -> ApiError {
    subscriptions_client::error::from_service(error, On::Other)
}

/// A refusal in the panel's language: the subscriptions' codes here, the orders' and the
/// fields' as the order pages translate them.
pub(super) fn refusal(l: Lang, error: &ApiError) -> String {
    let pt = match error.code() {
        "version-mismatch" => {
            "A assinatura mudou depois que esta página foi aberta. Confira e tente de novo."
        }
        "invalid-transition" => "O status da assinatura não permite esta ação.",
        "no-cycle-to-skip" => "Não resta ciclo a pular.",
        "too-many-skips" => "Já há o máximo de ciclos marcados para pular.",
        "cycle-not-pending" => "Este ciclo não é o próximo a cobrar.",
        "no-cycles" => {
            "Com esta agenda, data final e máximo de ciclos, nenhum ciclo seria cobrado."
        }
        "anchor-in-the-past" => {
            "O início da nova agenda está no passado: escolha um momento a partir de agora."
        }
        "contention" => "A assinatura estava sendo alterada ao mesmo tempo. Tente de novo.",
        _ => return i18n::refusal(l, error),
    };
    match l {
        Lang::Pt => pt.to_owned(),
        Lang::En => error.message().to_owned(),
    }
}
