/** SQL migration files are embedded as text at build time (vite `?raw`, and the tsup plugin in `tsup.base.ts`). */
declare module '*.sql?raw' {
  const sql: string
  export default sql
}
