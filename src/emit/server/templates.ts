/**
 * Renders the handlebars layout files of `templates/project/`. Templates are compiled once per
 * process; the only helpers are for layout (JSON strings), never logic.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import Handlebars from 'handlebars';

const TEMPLATE_DIR = path.resolve(__dirname, '..', '..', '..', 'templates', 'project');
const engine = Handlebars.create();
engine.registerHelper('json', (value: unknown) => new Handlebars.SafeString(JSON.stringify(value)));
const compiled = new Map<string, HandlebarsTemplateDelegate>();

export function renderTemplate(name: string, view: object): string {
  let template = compiled.get(name);
  if (!template) {
    const source = readFileSync(path.join(TEMPLATE_DIR, `${name}.hbs`), 'utf8');
    template = engine.compile(source, { noEscape: true, strict: true });
    compiled.set(name, template);
  }
  return template(view);
}
