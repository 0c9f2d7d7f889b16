/** A template's sources: Liquid for the subject, the HTML body and (optionally) the plain-text body. */
export interface TemplateSource {
  /** Liquid; rendered without HTML escaping (a subject is a header, not HTML). */
  subject: string
  /** Liquid; every `{{ output }}` is HTML-escaped unless piped through `| raw`. */
  html: string
  /** Liquid; rendered without escaping. Derived from the rendered HTML when absent. */
  text?: string | null | undefined
}

/** The keys of the built-in templates: one per GoTrue mail flow. */
export type BuiltinTemplateKey =
  | 'confirm_signup'
  | 'invite'
  | 'magic_link'
  | 'otp'
  | 'recovery'
  | 'email_change'
  | 'reauthentication'

/**
 * Built-in templates for the auth flows, modelled on Supabase's defaults (same subjects and
 * wording; like GoTrue's own defaults, link mails also show the OTP code when `token` is given), with GoTrue's Go-template variables renamed to snake_case Liquid variables:
 * `{{ .ConfirmationURL }}` → `{{ confirmation_url }}`, `{{ .Token }}` → `{{ token }}`,
 * `{{ .TokenHash }}` → `{{ token_hash }}`, `{{ .SiteURL }}` → `{{ site_url }}`,
 * `{{ .Email }}` → `{{ email }}`, `{{ .NewEmail }}` → `{{ new_email }}`,
 * `{{ .RedirectTo }}` → `{{ redirect_to }}`, `{{ .Data }}` → `{{ data }}`.
 *
 * @see https://supabase.com/docs/guides/auth/auth-email-templates
 * @see https://github.com/supabase/auth/blob/master/internal/mailer/template.go
 */
export const BUILTIN_TEMPLATES: Readonly<Record<BuiltinTemplateKey, Readonly<TemplateSource>>> =
  Object.freeze({
    confirm_signup: {
      subject: 'Confirm Your Signup',
      html: `<h2>Confirm your signup</h2>

<p>Follow this link to confirm your user:</p>
<p><a href="{{ confirmation_url }}">Confirm your mail</a></p>
{% if token %}<p>Alternatively, enter the code: {{ token }}</p>
{% endif %}`,
    },
    invite: {
      subject: 'You have been invited',
      html: `<h2>You have been invited</h2>

<p>You have been invited to create a user on {{ site_url }}. Follow this link to accept the invite:</p>
<p><a href="{{ confirmation_url }}">Accept the invite</a></p>
`,
    },
    magic_link: {
      subject: 'Your Magic Link',
      html: `<h2>Magic Link</h2>

<p>Follow this link to login:</p>
<p><a href="{{ confirmation_url }}">Log In</a></p>
{% if token %}<p>Alternatively, enter the code: {{ token }}</p>
{% endif %}`,
    },
    otp: {
      subject: 'Your Sign-In Code',
      html: `<h2>Your sign-in code</h2>

<p>Enter this code to sign in:</p>
<p><strong>{{ token }}</strong></p>
<p>If you did not request it, you can ignore this email.</p>
`,
    },
    recovery: {
      subject: 'Reset Your Password',
      html: `<h2>Reset Password</h2>

<p>Follow this link to reset the password for your user:</p>
<p><a href="{{ confirmation_url }}">Reset Password</a></p>
{% if token %}<p>Alternatively, enter the code: {{ token }}</p>
{% endif %}`,
    },
    email_change: {
      subject: 'Confirm Email Change',
      html: `<h2>Confirm Change of Email</h2>

<p>Follow this link to confirm the update of your email from {{ email }} to {{ new_email }}:</p>
<p><a href="{{ confirmation_url }}">Change Email</a></p>
{% if token %}<p>Alternatively, enter the code: {{ token }}</p>
{% endif %}`,
    },
    reauthentication: {
      subject: 'Confirm reauthentication',
      html: `<h2>Confirm reauthentication</h2>

<p>Enter the code: {{ token }}</p>
`,
    },
  })

/** True when `key` names a built-in template. */
export function isBuiltinKey(key: string): key is BuiltinTemplateKey {
  return Object.hasOwn(BUILTIN_TEMPLATES, key)
}
