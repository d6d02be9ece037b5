/**
 * What each MetadataStore adapter still holds besides catalog entries (never removed) and upload
 * sessions (their own suite): the leftover check of metadata-store.suite.ts looks inside the
 * store with these, as the blob-store harnesses list temporary upload storage.
 */
import Database from 'better-sqlite3';
import { ScanCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

/** Rows of every table but the catalog and upload sessions, read through a second connection. */
export function sqliteLeftovers(path: string): () => Promise<string[]> {
  return async () => {
    const db = new Database(path, { readonly: true });
    try {
      return ['blob_links', 'manifests', 'tags', 'referrers'].flatMap((table) =>
        (db.prepare(`SELECT * FROM ${table}`).all() as Record<string, unknown>[]).map((row) => `${table}: ${row.repository} ${row.digest ?? ''} ${row.tag ?? ''}`),
      );
    } finally {
      db.close();
    }
  };
}

/** Items of the table but catalog entries, upload sessions and login-failure counters. */
export function dynamoDbLeftovers(client: DynamoDBClient, tableName: string): () => Promise<string[]> {
  return async () => {
    const found: string[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await client.send(new ScanCommand({ TableName: tableName, ProjectionExpression: 'PK, SK', ExclusiveStartKey: start as never }));
      for (const item of out.Items ?? []) {
        const [pk, sk] = [item.PK?.S ?? '', item.SK?.S ?? ''];
        if (pk !== 'CATALOG' && !pk.startsWith('UPLOAD#') && !pk.startsWith('LOGINFAIL#')) found.push(`${pk} ${sk}`);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return found.sort();
  };
}
