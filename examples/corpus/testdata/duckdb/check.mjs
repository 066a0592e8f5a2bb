// Reads the Parquet shards of a corpus built by examples/corpus with
// DuckDB (an independent Parquet reader, not Arrow's) and prints, as JSON,
// per split: the row count, the column names and DuckDB types, the first
// and last rows (event_time as microseconds since the epoch: DuckDB reads
// TIMESTAMP(NANOS, UTC) as TIMESTAMP WITH TIME ZONE), the number of attack
// rows, and the files' row-group sizes and compression codecs. With
// --files='{"train": ["data/train-….parquet", …], …}' (the files that
// README.md's metadata lists per split), it also reads each listed file,
// one by one, and reports its row count under "configs".
//
//   node check.mjs <corpus dir> [--files=JSON] [split ...]
//
// Run by TestDuckDB in examples/corpus; install with
// `npm ci --prefix examples/corpus/testdata/duckdb`.
import { DuckDBInstance } from '@duckdb/node-api';

const [dir, ...rest] = process.argv.slice(2);
if (!dir) {
  console.error('usage: node check.mjs <corpus dir> [--files=JSON] [split ...]');
  process.exit(2);
}
const filesArg = rest.find((a) => a.startsWith('--files='));
const splitArgs = rest.filter((a) => a !== filesArg);
const splits = splitArgs.length ? splitArgs : ['train', 'test'];
const quote = (s) => "'" + s.replaceAll("'", "''") + "'";

const instance = await DuckDBInstance.create(':memory:');
const con = await instance.connect();
await con.run('SET threads = 1'); // keep file and row order for LIMIT/OFFSET
const rows = async (sql) => (await con.runAndReadAll(sql)).getRowObjectsJson();

const out = {};
for (const split of splits) {
  const glob = quote(`${dir}/data/${split}-*.parquet`);
  const src = `read_parquet(${glob})`;
  const [{ n }] = await rows(`SELECT count(*) AS n FROM ${src}`);
  const columns = (await rows(`DESCRIBE SELECT * FROM ${src}`)).map((c) => ({ name: c.column_name, type: c.column_type }));
  const names = columns.map((c) => c.name);
  const select = names
    .map((c) => (c === 'event_time' ? 'epoch_us(event_time) AS event_time' : `"${c.replaceAll('"', '""')}"`))
    .join(', ');
  const first = (await rows(`SELECT ${select} FROM ${src} LIMIT 1`))[0] ?? null;
  const last = Number(n) > 0 ? (await rows(`SELECT ${select} FROM ${src} LIMIT 1 OFFSET ${Number(n) - 1}`))[0] : null;
  let attacks = null;
  if (names.includes('is_attack')) {
    attacks = (await rows(`SELECT count(*) AS a FROM ${src} WHERE is_attack`))[0].a;
  }
  const meta = await rows(
    `SELECT DISTINCT file_name, row_group_id, row_group_num_rows, compression FROM parquet_metadata(${glob}) ORDER BY file_name, row_group_id`,
  );
  out[split] = {
    rows: Number(n),
    columns,
    first,
    last,
    attacks: attacks === null ? null : Number(attacks),
    row_groups: [...new Set(meta.map((m) => `${m.file_name}#${m.row_group_id}`))].map((k) => {
      const m = meta.find((x) => `${x.file_name}#${x.row_group_id}` === k);
      return Number(m.row_group_num_rows);
    }),
    codecs: [...new Set(meta.map((m) => m.compression))],
  };
}
if (filesArg) {
  // Every file a loader would read, each on its own: the split's rows
  // are the sum, and a listed file DuckDB cannot read fails the script.
  const listed = JSON.parse(filesArg.slice('--files='.length));
  out.configs = {};
  for (const [split, paths] of Object.entries(listed)) {
    out.configs[split] = [];
    for (const p of paths) {
      const [{ n }] = await rows(`SELECT count(*) AS n FROM read_parquet(${quote(`${dir}/${p}`)})`);
      out.configs[split].push({ path: p, rows: Number(n) });
    }
  }
}
console.log(JSON.stringify(out));
