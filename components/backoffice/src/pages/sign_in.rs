//! The sign-in page.

use maud::{Markup, html};

use crate::pages::layout;
use crate::web::Ctx;

/// The Argon2id hash checked when no operator has the email given, so that a wrong email takes
/// as long to refuse as a wrong password (the password it hashes was random and thrown away).
pub(crate) const DECOY_HASH: &str = "$argon2id$v=19$m=19456,t=2,p=1$ZGVjb3ktc2FsdC0xMjM0$4oBUM0t0Uj1aG8Jbm3cAUYyqMZQh4Hby3d2Pnw7xxlY";

/// The form, with `email` filled in and, when `failed`, why it was refused.
pub(crate) fn page(ctx: &Ctx, email: &str, next: &str, failed: bool) -> Markup {
    let l = ctx.lang;
    layout(
        ctx,
        l.pick("Entrar", "Sign in"),
        html! {
            form.signin method="post" action="/admin/sign-in" {
                h1 { (l.pick("Entrar no painel", "Sign in to the panel")) }
                @if failed {
                    p.error role="alert" {
                        (l.pick("E-mail ou senha incorretos.", "Wrong email or password."))
                    }
                }
                input type="hidden" name="next" value=(next);
                label {
                    (l.pick("E-mail", "Email"))
                    input type="email" name="email" value=(email) required autocomplete="username" autofocus;
                }
                label {
                    (l.pick("Senha", "Password"))
                    input type="password" name="password" required autocomplete="current-password";
                }
                button.primary type="submit" { (l.pick("Entrar", "Sign in")) }
            }
        },
    )
}
