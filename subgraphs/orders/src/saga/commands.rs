//! The messages behind the machine's actions, built from the order they are about.

use braid_kit::contracts::Line;
use braid_kit::contracts::payment::{CapturePayment, RefundPayment};
use braid_kit::contracts::shipping::CreateShipment;
use braid_kit::contracts::stock::{CommitStock, ReleaseStock, ReserveStock, RestockOrder};
use braid_kit::events::{DomainEvent, Envelope};

use super::machine::{Action, Compensation, Step, action_name};
use crate::view::OrderView;

/// Where the orders service's messages come from (the CloudEvents `source`).
pub const SOURCE: &str = "/braid/orders";

/// `order/action/attempt`: unique per attempt, and it names the action its reply answers.
pub fn command_id(order_id: &str, action: Action, attempt: u32) -> String {
    format!("{order_id}/{}/{attempt}", action_name(action))
}

/// The action a command id names (replies carry the id of the command they answer).
pub fn action_of(command_id: &str) -> Option<&str> {
    command_id.split('/').nth(1)
}

/// The envelope of `action`'s command for `order`.
pub fn envelope(order: &OrderView, action: Action, attempt: u32, reservation_ttl_secs: u64) -> Envelope {
    let command_id = command_id(&order.id, action, attempt);
    let order_id = order.id.clone();
    match action {
        Action::Step(Step::Reserve) => wrap(&ReserveStock {
            command_id,
            order_id,
            lines: order
                .lines
                .iter()
                .map(|l| Line { product_id: l.product_id.clone(), quantity: l.quantity })
                .collect(),
            expires_in_secs: reservation_ttl_secs,
        }),
        Action::Step(Step::Pay) => wrap(&CapturePayment {
            command_id,
            order_id,
            buyer_id: order.buyer_id.clone(),
            amount_minor: order.total_minor,
            currency: order.currency.clone(),
        }),
        Action::Step(Step::Commit) => wrap(&CommitStock { command_id, order_id }),
        Action::Step(Step::Ship) => wrap(&CreateShipment {
            command_id,
            order_id,
            address: order.address.clone(),
            items: order.lines.iter().map(|l| l.quantity).sum(),
        }),
        Action::Compensate(Compensation::Release) => wrap(&ReleaseStock { command_id, order_id }),
        Action::Compensate(Compensation::Refund) => wrap(&RefundPayment { command_id, order_id }),
        Action::Compensate(Compensation::Restock) => wrap(&RestockOrder { command_id, order_id }),
    }
}

fn wrap<E: DomainEvent>(message: &E) -> Envelope {
    Envelope::new(SOURCE, message)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_command_id_names_its_order_action_and_attempt_and_gives_the_action_back() {
        let id = command_id("o-7", Action::Compensate(Compensation::Refund), 3);
        assert_eq!(id, "o-7/payment.refund/3");
        assert_eq!(action_of(&id), Some("payment.refund"));
        assert_eq!(action_of("no-action"), None);
    }
}
