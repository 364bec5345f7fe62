// Parse a _headers file with Netlify's own parser and report which rules match each URL.
// usage: node headers.mjs <_headers> <urls.json>   (urls.json: array of encoded URL paths)
// prints JSON: {rules: [{for, values}], errors: [string], matches: {url: [rule index...]}}
import { readFileSync } from 'node:fs';
import { parseAllHeaders } from '@netlify/headers-parser';

const [headersFile, urlsFile] = process.argv.slice(2);
const urls = urlsFile ? JSON.parse(readFileSync(urlsFile, 'utf-8')) : [];
const { headers, errors } = await parseAllHeaders({ headersFiles: [headersFile], minimal: false });
const matches = {};
for (const url of urls) {
  matches[url] = headers.flatMap((rule, index) => (rule.forRegExp.test(url) ? [index] : []));
}
process.stdout.write(JSON.stringify({
  rules: headers.map(({ for: path, values }) => ({ for: path, values })),
  errors: errors.map((error) => String(error.message ?? error)),
  matches,
}));
