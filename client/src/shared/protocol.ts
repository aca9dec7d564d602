/** The webview -> extension messages (types only: shared by the page scripts and the extension). */
/** Messages a webview may post. */
export type WebviewMessage =
  | { type: 'ready' }
  | { type: 'open'; file: string; line: number; col: number }
  | { type: 'export' }
  | { type: 'rendered'; charts: number; items: number; ms: number }
  | { type: 'error'; message: string };

export type WebviewMessageType = WebviewMessage['type'];


