import { createProviderClient, type ProviderClient } from './client'
import type { ResolvedProviderOptions } from './options'
import { resolveProvider } from './presets'

/** A configured provider ready to use. */
export interface RegisteredProvider {
  name: string
  client: ProviderClient
  /** The redirect URI registered with the provider (`…/callback` by default). */
  redirectUri: string
}

/** The enabled providers by name. */
export interface ProviderRegistry {
  get(name: string): RegisteredProvider | null
  names(): string[]
}

/** Resolves every configured provider (presets and generic ones) once, at `createAuth`. */
export function createProviderRegistry(
  social: { providers: Record<string, ResolvedProviderOptions> },
  externalUrl: string,
): ProviderRegistry {
  const entries = new Map<string, RegisteredProvider>()
  for (const [name, options] of Object.entries(social.providers)) {
    entries.set(name, {
      name,
      client: createProviderClient(resolveProvider(name, options)),
      redirectUri: options.redirectUri ?? `${externalUrl}/callback`,
    })
  }
  return {
    get: (name) => entries.get(name) ?? null,
    names: () => [...entries.keys()],
  }
}
