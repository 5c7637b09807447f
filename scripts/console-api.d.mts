/** Types of scripts/console-api.mjs, for the test that keeps console/src/api/schema.ts in step with the server. */
export declare const SCHEMA_FILE: string
export declare const REGENERATE_COMMAND: string
/** The document with only the /console/api paths, and only the component schemas they reach. */
export declare function consoleDocument(doc: unknown): { paths: Record<string, unknown> }
/** The TypeScript source of console/src/api/schema.ts for this OpenAPI document. */
export declare function schemaSource(doc: unknown): Promise<string>
