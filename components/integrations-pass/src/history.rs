//! Where a customer message an endpoint took is recorded: the order's history, through the
//! orders service's `apply` (command `record-notification`, a replay when already recorded).

use http_common::{orders, types};
use integrations_service::delivery::Recorder;
use integrations_service::endpoint::Notified;

/// The orders service.
#[derive(Debug, Clone, Copy)]
pub struct OrderHistory;

impl Recorder for OrderHistory {
    fn record(&self, n: &Notified) -> Result<(), String> {
        let command = types::Command::RecordNotification(types::Notification {
            event_id: n.event_id.clone(),
            endpoint_id: n.endpoint_id.clone(),
            template: n.template.clone(),
            locale: n.locale.as_str().to_owned(),
            subject: n.subject.clone(),
            to: n.to.clone(),
            at: None,
        });
        match orders::apply(&n.order_id, &command, types::Actor::System, None, None) {
            Ok(_) => Ok(()),
            // Worth another pass: the store or a concurrent writer.
            Err(e @ (types::Error::Contention | types::Error::StoreUnavailable(_))) => {
                Err(format!("{e:?}"))
            }
            // An order that is gone or a message that does not parse will not record later
            // either: forgotten rather than retried forever.
            Err(e) => {
                eprintln!("not recording notification {}: {e:?}", n.event_id);
                Ok(())
            }
        }
    }
}
