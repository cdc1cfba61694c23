import path from 'node:path';
import type { Command } from 'commander';
import { parseVersionList } from '../generate/models';
import { generateProject } from '../project/generate';
import {
  checkPackageName,
  defaultPackageName,
  inTableOrder,
  type ProjectChoices,
  parseResourceList,
} from '../project/options';
import { readVersion } from './options';

interface ProjectOptions {
  fhir?: string;
  resources?: string;
  name?: string;
  update?: boolean;
  force?: boolean;
  https?: boolean;
  docker?: boolean;
}

/** `fhirgen generate project <dir>`: a FHIR server project, from the committed models (offline). */
export function registerProjectCommand(generate: Command): void {
  generate
    .command('project')
    .description('generate an Express FHIR server project that serves the chosen FHIR versions')
    .argument('<dir>', 'the project folder (created when missing; "." with --update)')
    .option('--fhir <versions>', 'comma-separated FHIR versions (r4, stu3, dstu2); default: all three')
    .option('--resources <types>', 'comma-separated resource types to serve; default: all of each version')
    .option('--name <pkg-name>', 'npm package name of the project; default: the folder name')
    .option(
      '--update',
      'refresh the generator-owned files of an existing project; your files stay as they are',
    )
    .option('--force', 'write into a non-empty folder that is not a fhirgen project')
    .option('--https', 'serve HTTPS: write a self-signed development certificate pair and a config using it')
    .option(
      '--docker',
      'also write a Dockerfile and a docker-compose.yml: PostgreSQL, Redis, two instances, nginx',
    )
    .action((dir: string, options: ProjectOptions) => {
      const choices: Partial<ProjectChoices> = {};
      if (options.fhir !== undefined) choices.versions = inTableOrder(parseVersionList(options.fhir));
      if (options.resources !== undefined) choices.resources = parseResourceList(options.resources);
      if (options.https === true) choices.https = true;
      if (options.docker === true) choices.docker = true;
      if (options.name !== undefined) choices.name = checkPackageName(options.name);
      else if (options.update !== true) choices.name = defaultPackageName(path.basename(path.resolve(dir)));
      const started = process.hrtime.bigint();
      const result = generateProject({
        dir,
        choices,
        update: options.update === true,
        force: options.force === true,
        fhirgenVersion: readVersion(),
        onProgress: (message) => process.stderr.write(`fhirgen: ${message}\n`),
      });
      const seconds = (Number(process.hrtime.bigint() - started) / 1e9).toFixed(1);
      const { written, unchanged, keptUserOwned, removed } = result.written;
      process.stderr.write(
        `fhirgen: ${written.length} files written, ${unchanged.length} unchanged, ${keptUserOwned.length} of yours kept, ${removed.length} removed (${seconds} s)\n`,
      );
      if (result.client) {
        // Shown once: only the scrypt hash is kept (in fhirgen.config.json).
        process.stdout.write(
          `\nA client is registered for the token endpoint (/auth/token):\n  client_id:     ${result.client.clientId}\n  client_secret: ${result.client.secret}\nOnly its hash is stored; this secret is shown this once. Keep it somewhere safe.\nAdd more clients with: npm run client:add -- <client-id> <scope> ...\n`,
        );
      }
      if (result.updated) {
        for (const file of written) process.stdout.write(`updated  ${file}\n`);
        for (const file of removed) process.stdout.write(`removed  ${file}\n`);
      } else {
        const relative = path.relative(process.cwd(), path.resolve(dir)) || '.';
        process.stdout.write(
          `\nNext:\n  cd ${relative}\n  npm install\n  npm start\n\nREADME.md shows how to get a token. Then edit src/services/<version>/<resource>.service.ts to serve your own data.\n`,
        );
      }
    });
}
