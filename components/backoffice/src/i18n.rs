//! The panel's two languages (Brazilian Portuguese by default, English on request), money as
//! each writes it, and times in the store's time zone.

use chrono::{DateTime, Utc};
use chrono_tz::Tz;
use http_common::types::{
    Actor, CancelCause, EventKind, InvoiceKind, OrderStatus, PaymentMethod, PaymentOutcome,
    PaymentStatus, TrackingStatus,
};

/// A language of the panel.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Lang {
    /// pt-BR, the default.
    Pt,
    /// en.
    En,
}

impl Lang {
    /// The language a request asks for: the `lang` cookie (the panel's switch) first, then
    /// `Accept-Language` (English when it prefers any English over Portuguese), else pt-BR.
    pub(crate) fn choose(cookie: Option<&str>, accept_language: Option<&str>) -> Lang {
        match cookie {
            Some("en") => return Lang::En,
            Some("pt-BR") => return Lang::Pt,
            _ => {}
        }
        let Some(accept) = accept_language else {
            return Lang::Pt;
        };
        for range in accept.split(',') {
            let tag = range
                .split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_lowercase();
            if tag.starts_with("pt") {
                return Lang::Pt;
            }
            if tag.starts_with("en") {
                return Lang::En;
            }
        }
        Lang::Pt
    }

    /// The `lang` attribute.
    pub(crate) fn tag(self) -> &'static str {
        match self {
            Lang::Pt => "pt-BR",
            Lang::En => "en",
        }
    }

    /// `pt` or `en`, whichever this is.
    pub(crate) fn pick(self, pt: &'static str, en: &'static str) -> &'static str {
        match self {
            Lang::Pt => pt,
            Lang::En => en,
        }
    }
}

/// Minor units as the language writes money: `R$ 1.234,56` in pt-BR, `R$1,234.56` in English;
/// other currencies by their code.
pub(crate) fn money(lang: Lang, minor: i64, currency: &str) -> String {
    let sign = if minor < 0 { "-" } else { "" };
    let abs = minor.unsigned_abs();
    let (units, cents) = (abs / 100, abs % 100);
    let digits = units.to_string();
    let (group, decimal) = match lang {
        Lang::Pt => ('.', ','),
        Lang::En => (',', '.'),
    };
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i) % 3 == 0 {
            grouped.push(group);
        }
        grouped.push(c);
    }
    let symbol = match currency {
        "BRL" => "R$",
        other => other,
    };
    let space = if lang == Lang::Pt || symbol != "R$" {
        " "
    } else {
        ""
    };
    format!("{sign}{symbol}{space}{grouped}{decimal}{cents:02}")
}

/// An RFC 3339 instant in the store's zone: `07/12/2026 09:30` in pt-BR, `2026-12-07 09:30` in
/// English (the text itself when it does not parse).
pub(crate) fn time(lang: Lang, zone: Tz, rfc3339: &str) -> String {
    let Ok(at) = DateTime::parse_from_rfc3339(rfc3339) else {
        return rfc3339.to_owned();
    };
    let local = at.with_timezone(&Utc).with_timezone(&zone);
    match lang {
        Lang::Pt => local.format("%d/%m/%Y %H:%M").to_string(),
        Lang::En => local.format("%Y-%m-%d %H:%M").to_string(),
    }
}

/// A status's name.
pub(crate) fn status(lang: Lang, status: OrderStatus) -> &'static str {
    use OrderStatus as S;
    let (pt, en) = match status {
        S::PaymentPending => ("Aguardando pagamento", "Payment pending"),
        S::PaymentApproved => ("Pagamento aprovado", "Payment approved"),
        S::Handling => ("Em preparação", "Handling"),
        S::Invoiced => ("Faturado", "Invoiced"),
        S::Shipped => ("Enviado", "Shipped"),
        S::InTransit => ("Em trânsito", "In transit"),
        S::DeliveryDifficulty => ("Dificuldade na entrega", "Delivery difficulty"),
        S::Delivered => ("Entregue", "Delivered"),
        S::Closed => ("Concluído", "Closed"),
        S::Canceled => ("Cancelado", "Canceled"),
        S::OnHold => ("Em espera", "On hold"),
    };
    lang.pick(pt, en)
}

/// A history event's name.
pub(crate) fn event(lang: Lang, kind: EventKind) -> &'static str {
    use EventKind as E;
    let (pt, en) = match kind {
        E::OrderPlaced => ("Pedido realizado", "Order placed"),
        E::PaymentApproved => ("Pagamento aprovado", "Payment approved"),
        E::PaymentDenied => ("Pagamento recusado", "Payment denied"),
        E::PaymentRefunded => ("Pagamento estornado", "Payment refunded"),
        E::PaymentExpired => ("Pagamento expirado", "Payment expired"),
        E::ProblemRaised => ("Problema registrado", "Problem raised"),
        E::Reprocessed => ("Reprocessado", "Reprocessed"),
        E::HandlingStarted => ("Preparação iniciada", "Handling started"),
        E::Invoiced => ("Faturado", "Invoiced"),
        E::Returned => ("Devolução registrada", "Return recorded"),
        E::ShipmentAdded => ("Envio registrado", "Shipment added"),
        E::TrackingUpdated => ("Rastreio atualizado", "Tracking updated"),
        E::Changed => ("Pedido alterado", "Order changed"),
        E::Canceled => ("Cancelado", "Canceled"),
        E::Held => ("Colocado em espera", "Put on hold"),
        E::Released => ("Retirado da espera", "Released from hold"),
        E::Commented => ("Comentário", "Comment"),
        E::Refunded => ("Reembolsado", "Refunded"),
        E::Edited => ("Dados editados", "Details edited"),
        E::CustomerNotified => ("Cliente notificado", "Customer notified"),
    };
    lang.pick(pt, en)
}

/// A payment method's name.
pub(crate) fn payment_method(lang: Lang, method: PaymentMethod) -> &'static str {
    let (pt, en) = match method {
        PaymentMethod::CreditCard => ("Cartão de crédito", "Credit card"),
        PaymentMethod::Pix => ("Pix", "Pix"),
        PaymentMethod::Boleto => ("Boleto", "Boleto"),
        PaymentMethod::Deposit => ("Depósito", "Deposit"),
        PaymentMethod::BankTransfer => ("Transferência bancária", "Bank transfer"),
    };
    lang.pick(pt, en)
}

/// A payment's state.
pub(crate) fn payment_status(lang: Lang, status: PaymentStatus) -> &'static str {
    let (pt, en) = match status {
        PaymentStatus::Pending => ("Pendente", "Pending"),
        PaymentStatus::Denied => ("Recusado", "Denied"),
        PaymentStatus::Approved => ("Aprovado", "Approved"),
        PaymentStatus::Refunded => ("Estornado", "Refunded"),
    };
    lang.pick(pt, en)
}

/// A carrier's status.
pub(crate) fn tracking_status(lang: Lang, status: TrackingStatus) -> &'static str {
    match status {
        TrackingStatus::InTransit => lang.pick("Em trânsito", "In transit"),
        TrackingStatus::DeliveryDifficulty => {
            lang.pick("Dificuldade de entrega", "Delivery difficulty")
        }
        TrackingStatus::Delivered => lang.pick("Entregue", "Delivered"),
    }
}

/// An invoice's direction.
pub(crate) fn invoice_kind(lang: Lang, kind: InvoiceKind) -> &'static str {
    match kind {
        InvoiceKind::Output => lang.pick("Saída", "Output"),
        InvoiceKind::Input => lang.pick("Entrada (devolução)", "Input (return)"),
    }
}

/// What a payment transaction did.
pub(crate) fn payment_outcome(lang: Lang, outcome: PaymentOutcome) -> &'static str {
    match outcome {
        PaymentOutcome::Approved => lang.pick("Aprovado", "Approved"),
        PaymentOutcome::Denied => lang.pick("Recusado", "Denied"),
        PaymentOutcome::Refunded => lang.pick("Estornado", "Refunded"),
    }
}

/// Why an order was canceled.
pub(crate) fn cancel_cause(lang: Lang, cause: CancelCause) -> &'static str {
    match cause {
        CancelCause::Requested => lang.pick("a pedido", "on request"),
        CancelCause::PaymentDenied => lang.pick("pagamento recusado", "payment denied"),
        CancelCause::PaymentExpired => lang.pick("prazo de pagamento vencido", "payment expired"),
    }
}

/// A service's refusal in the panel's language: the codes an operator meets, translated; any
/// other, the service's own (English) message.
pub(crate) fn refusal(lang: Lang, error: &http_common::ApiError) -> String {
    let fields = error.details().get("fields").is_some();
    let pt = match error.code() {
        // Without field details it is the panel's own sentence, already in the language.
        "validation-failed" if !fields => return error.message().to_owned(),
        "validation-failed" => "Alguns campos precisam de correção.",
        "version-mismatch" => {
            "O pedido mudou depois que esta página foi aberta. Confira e tente de novo."
        }
        "invalid-transition" => "O status do pedido não permite esta ação.",
        "order-on-hold" => "O pedido está em espera: retire-o da espera primeiro.",
        "order-has-problems" => "O pedido tem problemas pendentes: resolva-os e reprocesse.",
        "manual-approval-not-allowed" => "Este meio de pagamento não aceita aprovação manual.",
        "invoice-number-conflict" => "Já existe outra nota fiscal com este número.",
        "invoice-value-mismatch" => "O valor da nota não confere com os itens faturados.",
        "order-invoiced" => "O pedido já foi faturado.",
        "shipment-conflict" => "Já existe outro envio com este código de rastreio.",
        "unknown-invoice" => "Não há nota fiscal de saída com este número neste pedido.",
        "nothing-to-invoice" => "Não há itens a faturar (ou a devolver) neste pedido.",
        "refund-exceeds-paid" => "O reembolso passa do valor pago e ainda não reembolsado.",
        "quantity-exceeded" => "A quantidade passa do que o pedido tem (ou do que foi faturado).",
        "discount-too-large" => "O desconto passa do valor dos itens.",
        "duplicate-sku" => "Este SKU já está no pedido: altere a quantidade dele.",
        "empty-command" => "Nada foi alterado no formulário.",
        "not-on-hold" => "O pedido não está em espera.",
        "negative-stock" => "O ajuste deixaria o estoque negativo.",
        "unknown-location" => "Este SKU não tem estoque neste local.",
        _ => return error.message().to_owned(),
    };
    match lang {
        Lang::Pt => pt.to_owned(),
        Lang::En => error.message().to_owned(),
    }
}

/// A field the service names (`shippingAddress.postalCode`, `items[0].quantity`), as the panel's
/// forms label it; the path itself when the panel has no label for it.
pub(crate) fn field_label(lang: Lang, path: &str) -> String {
    let (group, name) = match path.rsplit_once('.') {
        Some((group, name)) => (Some(group), name),
        None => (None, path),
    };
    let group = group.map(|g| g.split('[').next().unwrap_or(g));
    let pick = |pt: &'static str, en: &'static str| lang.pick(pt, en);
    let label = match name {
        "amount" | "value" => pick("Valor", "Value"),
        "number" => pick("Número", "Number"),
        "key" => pick("Chave de acesso", "Access key"),
        "series" => pick("Série", "Series"),
        "carrier" => pick("Transportadora", "Carrier"),
        "url" => pick("Link", "Link"),
        "reason" => pick("Motivo", "Reason"),
        "text" | "comment" => pick("Comentário", "Comment"),
        "note" => pick("Observação", "Note"),
        "invoiceNumber" => pick("Nota fiscal", "Invoice"),
        "shipment" => pick("Envio", "Shipment"),
        "description" => pick("Descrição", "Description"),
        "street" => pick("Rua", "Street"),
        "neighborhood" => pick("Bairro", "Neighborhood"),
        "complement" => pick("Complemento", "Complement"),
        "city" => pick("Cidade", "City"),
        "state" => "UF",
        "postalCode" => "CEP",
        "country" => pick("País", "Country"),
        "sku" => "SKU",
        "name" => pick("Produto", "Product"),
        "quantity" => pick("Quantidade", "Quantity"),
        "unitPrice" => pick("Preço unitário", "Unit price"),
        "discount" => pick("Desconto", "Discount"),
        _ => return path.to_owned(),
    };
    let group = match group {
        None => return label.to_owned(),
        Some("shippingAddress") => pick("Endereço de entrega", "Shipping address"),
        Some("billingAddress") => pick("Endereço de cobrança", "Billing address"),
        Some("add") => pick("Item adicionado", "Added item"),
        Some("remove") => pick("Remover", "Remove"),
        Some("prices") => pick("Novo preço", "New price"),
        Some("items") => pick("Itens", "Items"),
        Some(_) => return path.to_owned(),
    };
    format!("{group} · {label}")
}

/// A field's problem in the panel's language (the service's message when not translated).
pub(crate) fn field_problem(lang: Lang, code: &str, message: &str) -> String {
    let pt = match code {
        "required" => "obrigatório",
        "empty" => "não pode ficar vazio",
        "too-long" => "longo demais",
        "bad-format" => "formato inválido",
        "bad-check-digit" => "dígito verificador inválido",
        "negative" => "não pode ser negativo",
        _ => return message.to_owned(),
    };
    match lang {
        Lang::Pt => pt.to_owned(),
        Lang::En => message.to_owned(),
    }
}

/// Who did something, when no operator is named.
pub(crate) fn actor(lang: Lang, actor: Actor) -> &'static str {
    let (pt, en) = match actor {
        Actor::Checkout => ("Loja (checkout)", "Store checkout"),
        Actor::PaymentProvider => ("Meio de pagamento", "Payment provider"),
        Actor::Erp => ("ERP", "ERP"),
        Actor::Logistics => ("Transportadora", "Carrier"),
        Actor::Admin => ("Administrador", "Administrator"),
        Actor::System => ("Sistema", "System"),
    };
    lang.pick(pt, en)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn money_is_written_as_each_language_writes_it() {
        assert_eq!(money(Lang::Pt, 123_456, "BRL"), "R$ 1.234,56");
        assert_eq!(money(Lang::En, 123_456, "BRL"), "R$1,234.56");
        assert_eq!(money(Lang::Pt, 5, "BRL"), "R$ 0,05");
        assert_eq!(money(Lang::Pt, -100_000_000, "BRL"), "-R$ 1.000.000,00");
        assert_eq!(money(Lang::En, 1999, "USD"), "USD 19.99");
    }

    #[test]
    fn times_are_the_stores_and_the_language_is_chosen_by_switch_then_header() {
        let zone: Tz = "America/Sao_Paulo".parse().unwrap_or(Tz::UTC);
        assert_eq!(
            time(Lang::Pt, zone, "2026-12-07T12:30:00Z"),
            "07/12/2026 09:30"
        );
        assert_eq!(
            time(Lang::En, zone, "2026-12-07T12:30:00Z"),
            "2026-12-07 09:30"
        );
        assert_eq!(Lang::choose(None, None), Lang::Pt);
        assert_eq!(Lang::choose(None, Some("en-US,en;q=0.9")), Lang::En);
        assert_eq!(Lang::choose(None, Some("pt-BR,en;q=0.5")), Lang::Pt);
        assert_eq!(Lang::choose(Some("pt-BR"), Some("en")), Lang::Pt);
        assert_eq!(Lang::choose(Some("en"), None), Lang::En);
    }

    #[test]
    fn the_services_field_paths_read_as_the_forms_label_them() {
        assert_eq!(
            field_label(Lang::Pt, "shippingAddress.postalCode"),
            "Endereço de entrega · CEP"
        );
        assert_eq!(
            field_label(Lang::En, "add[0].unitPrice"),
            "Added item · Unit price"
        );
        assert_eq!(field_label(Lang::Pt, "key"), "Chave de acesso");
        assert_eq!(field_label(Lang::Pt, "somethingElse"), "somethingElse");
        assert_eq!(field_label(Lang::Pt, "odd.key"), "odd.key");
    }
}
