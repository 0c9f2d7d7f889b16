/**
 * The one shape every Groundwork package exposes: a Web-standard (Fetch API) handler.
 * Adapters mount it in a framework; the handler itself never sees framework types.
 *
 * @see https://fetch.spec.whatwg.org/#request-class
 */
export type FetchHandler = (request: Request) => Response | Promise<Response>
