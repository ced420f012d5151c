// Modals as Discord checks and submits them (discord-api-docs: Interactions "Receiving and
// Responding" › Modal, Components reference › Label, Text Input, String Select, File Upload).
// `modalErrors` is what Discord refuses in a MODAL callback (400, 50035); `modalSubmitData` is the
// `data` of the MODAL_SUBMIT Discord's client sends for it, refusing (by throwing, a test error)
// values the client would never let a member submit.
import { ComponentType } from 'discord.js';
import type { FakeAttachment } from './discord.ts';
import { FormErrors } from './discordForm.ts';

type Json = Record<string, unknown>;
type Path = (string | number)[];

/** What a Label may wrap (Components reference › Label Child Components). */
const labelChildren: readonly number[] = [
  ComponentType.TextInput,
  ComponentType.StringSelect,
  ComponentType.UserSelect,
  ComponentType.RoleSelect,
  ComponentType.MentionableSelect,
  ComponentType.ChannelSelect,
  ComponentType.FileUpload,
  ComponentType.RadioGroup,
  ComponentType.CheckboxGroup,
  ComponentType.Checkbox,
];
const topLevel: readonly number[] = [ComponentType.Label, ComponentType.TextDisplay, ComponentType.ActionRow];

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null;

function wrongType(errors: FormErrors, path: Path, allowed: readonly number[]): void {
  errors.add([...path, 'type'], {
    code: 'UNION_TYPE_CHOICES',
    message: `Value of field "type" must be one of (${allowed.join(', ')}).`,
  });
}

/** `required` defaults to true; then `min_values` must be omitted or at least 1. */
function checkRequiredMinimum(errors: FormErrors, path: Path, component: Json): void {
  if (component.required !== false && component.min_values === 0)
    errors.add([...path, 'min_values'], {
      code: 'BASE_TYPE_MIN_VALUE',
      message: 'min_values must be at least 1 when the component is required.',
    });
}

function checkTextInput(errors: FormErrors, path: Path, input: Json, inActionRow: boolean): void {
  errors.checkString([...path, 'custom_id'], input.custom_id, 1, 100);
  if (input.style !== 1 && input.style !== 2) wrongType(errors, [...path, 'style'], [1, 2]);
  // Inside an action row (deprecated) the text input carries its own label; in a Label it must not need one.
  if (inActionRow) errors.checkString([...path, 'label'], input.label, 1, 45);
  errors.checkInteger([...path, 'min_length'], input.min_length, 0, 4000);
  errors.checkInteger([...path, 'max_length'], input.max_length, 1, 4000);
  if (input.value !== undefined) errors.checkString([...path, 'value'], input.value, 0, 4000);
  if (input.placeholder !== undefined)
    errors.checkString([...path, 'placeholder'], input.placeholder, 0, 100);
  if (
    typeof input.min_length === 'number' &&
    typeof input.max_length === 'number' &&
    input.min_length > input.max_length
  )
    errors.add([...path, 'min_length'], {
      code: 'BASE_TYPE_BAD_LENGTH',
      message: 'min_length must be less than or equal to max_length.',
    });
}

function checkStringSelect(errors: FormErrors, path: Path, select: Json): void {
  errors.checkString([...path, 'custom_id'], select.custom_id, 1, 100);
  if (select.placeholder !== undefined)
    errors.checkString([...path, 'placeholder'], select.placeholder, 0, 150);
  errors.checkInteger([...path, 'min_values'], select.min_values, 0, 25);
  errors.checkInteger([...path, 'max_values'], select.max_values, 1, 25);
  checkRequiredMinimum(errors, path, select);
  if (select.disabled === true)
    errors.add([...path, 'disabled'], {
      code: 'COMPONENT_DISABLED_IN_MODAL',
      message: 'Modals cannot have disabled components.',
    });
  if (!errors.checkArray([...path, 'options'], select.options, 1, 25)) return;
  const values = new Set<unknown>();
  for (const [index, option] of select.options.entries()) {
    const at = [...path, 'options', index];
    if (!isObject(option)) {
      errors.add(at, { code: 'MODEL_TYPE_CONVERT', message: 'Expected an object/dictionary.' });
      continue;
    }
    errors.checkString([...at, 'label'], option.label, 1, 100);
    errors.checkString([...at, 'value'], option.value, 1, 100);
    if (option.description !== undefined)
      errors.checkString([...at, 'description'], option.description, 0, 100);
    if (values.has(option.value))
      errors.add([...at, 'value'], {
        code: 'SELECT_COMPONENT_OPTION_VALUE_DUPLICATED',
        message: 'Select component option values must be unique.',
      });
    values.add(option.value);
  }
}

function checkFileUpload(errors: FormErrors, path: Path, upload: Json): void {
  errors.checkString([...path, 'custom_id'], upload.custom_id, 1, 100);
  errors.checkInteger([...path, 'min_values'], upload.min_values, 0, 10);
  errors.checkInteger([...path, 'max_values'], upload.max_values, 1, 10);
  checkRequiredMinimum(errors, path, upload);
  if (upload.file_types !== undefined) errors.checkArray([...path, 'file_types'], upload.file_types, 0, 10);
}

function checkLabelChild(errors: FormErrors, path: Path, child: unknown): void {
  if (!isObject(child) || !labelChildren.includes(child.type as number))
    return wrongType(errors, path, labelChildren);
  if (child.type === ComponentType.TextInput) return checkTextInput(errors, path, child, false);
  if (child.type === ComponentType.StringSelect) return checkStringSelect(errors, path, child);
  if (child.type === ComponentType.FileUpload) return checkFileUpload(errors, path, child);
  // The other selects, radio groups and checkboxes: only what they all share is checked here.
  errors.checkString([...path, 'custom_id'], child.custom_id, 1, 100);
}

function checkTopLevel(errors: FormErrors, path: Path, component: unknown): void {
  if (!isObject(component) || !topLevel.includes(component.type as number))
    return wrongType(errors, path, topLevel);
  if (component.type === ComponentType.Label) {
    errors.checkString([...path, 'label'], component.label, 1, 45);
    if (component.description !== undefined)
      errors.checkString([...path, 'description'], component.description, 0, 100);
    return checkLabelChild(errors, [...path, 'component'], component.component);
  }
  if (component.type === ComponentType.TextDisplay)
    return errors.checkString([...path, 'content'], component.content, 1, 4000);
  // A (deprecated) action row in a modal holds exactly one text input.
  if (!errors.checkArray([...path, 'components'], component.components, 1, 1)) return;
  const input = component.components[0];
  if (!isObject(input) || input.type !== ComponentType.TextInput)
    return wrongType(errors, [...path, 'components', 0], [ComponentType.TextInput]);
  checkTextInput(errors, [...path, 'components', 0], input, true);
}

/** Every interactive component of a modal, wherever it sits (in a Label or an action row). */
export function modalFields(data: Json): Json[] {
  const fields: Json[] = [];
  for (const component of Array.isArray(data.components) ? data.components : []) {
    if (!isObject(component)) continue;
    if (isObject(component.component)) fields.push(component.component);
    for (const inner of Array.isArray(component.components) ? component.components : [])
      if (isObject(inner)) fields.push(inner);
  }
  return fields;
}

/** What Discord refuses in a MODAL callback's `data`, under the path `data.…`; empty when none. */
export function modalErrors(data: unknown): FormErrors {
  const errors = new FormErrors();
  if (!isObject(data)) {
    errors.add(['data'], { code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
    return errors;
  }
  errors.checkString(['data', 'custom_id'], data.custom_id, 1, 100);
  errors.checkString(['data', 'title'], data.title, 1, 45);
  if (errors.checkArray(['data', 'components'], data.components, 1, 5))
    data.components.forEach((component, index) => {
      checkTopLevel(errors, ['data', 'components', index], component);
    });
  const seen = new Set<unknown>();
  for (const field of modalFields(data)) {
    if (field.custom_id === undefined) continue;
    if (seen.has(field.custom_id))
      errors.add(['data', 'components'], {
        code: 'COMPONENT_CUSTOM_ID_DUPLICATED',
        message: 'Component custom id cannot be duplicated',
      });
    seen.add(field.custom_id);
  }
  return errors;
}

/**
 * The modal as Discord keeps it: every component given an `id` (Discord numbers those left out
 * in order, 1, 2, …, skipping ids the app set itself).
 */
export function withComponentIds(data: Json): Json {
  const copy = structuredClone(data);
  const all: Json[] = [];
  const visit = (component: unknown) => {
    if (!isObject(component)) return;
    all.push(component);
    if (isObject(component.component)) visit(component.component);
    if (Array.isArray(component.components)) component.components.forEach(visit);
  };
  if (Array.isArray(copy.components)) copy.components.forEach(visit);
  const taken = new Set(all.map((component) => component.id).filter((id) => typeof id === 'number'));
  let next = 1;
  for (const component of all) {
    if (typeof component.id === 'number') continue;
    while (taken.has(next)) next++;
    component.id = next;
    taken.add(next);
  }
  return copy;
}

/** A member's answer to one field: text, the chosen option values, or the uploaded files. */
export type ModalValue = string | string[] | FakeAttachment[];

function refuse(customId: unknown, why: string): never {
  throw new Error(`Discord's client would not submit field "${String(customId)}": ${why}`);
}

function within(count: number, field: Json, defaultMin: number, defaultMax: number): boolean {
  if (count === 0 && field.required === false) return true;
  const min = typeof field.min_values === 'number' ? field.min_values : defaultMin;
  const max = typeof field.max_values === 'number' ? field.max_values : defaultMax;
  return count >= Math.max(min, field.required === false ? 0 : 1) && count <= max;
}

function textValue(field: Json, given: ModalValue | undefined): string {
  if (given !== undefined && typeof given !== 'string') refuse(field.custom_id, 'a text input takes text');
  const value = given ?? (typeof field.value === 'string' ? field.value : '');
  const length = [...value].length;
  if (length === 0 && field.required !== false) refuse(field.custom_id, 'it is required');
  const min = typeof field.min_length === 'number' ? field.min_length : 0;
  const max = typeof field.max_length === 'number' ? field.max_length : 4000;
  if (length > 0 && (length < min || length > max))
    refuse(field.custom_id, `${length} characters, outside ${min}..${max}`);
  return value;
}

function selectValues(field: Json, given: ModalValue | undefined): string[] {
  const options = (Array.isArray(field.options) ? field.options : []) as Json[];
  if (given !== undefined && !(Array.isArray(given) && given.every((value) => typeof value === 'string')))
    refuse(field.custom_id, 'a string select takes option values');
  // Options marked `default` are chosen until the member changes them.
  const values =
    (given as string[] | undefined) ??
    options.filter((option) => option.default === true).map((option) => String(option.value));
  for (const value of values)
    if (!options.some((option) => option.value === value)) refuse(field.custom_id, `"${value}" is no option`);
  if (!within(values.length, field, 1, 1)) refuse(field.custom_id, `${values.length} options chosen`);
  return values;
}

function uploadedFiles(field: Json, given: ModalValue | undefined): FakeAttachment[] {
  if (given !== undefined && !(Array.isArray(given) && given.every((file) => typeof file === 'object')))
    refuse(field.custom_id, 'a file upload takes files');
  const files = (given ?? []) as FakeAttachment[];
  if (!within(files.length, field, 1, 1)) refuse(field.custom_id, `${files.length} files uploaded`);
  return files;
}

/** One submitted field: its type, id and custom id, and its value(s) as Discord sends them. */
function submittedField(
  field: Json,
  given: ModalValue | undefined,
  uploads: Map<string, FakeAttachment>,
): Json {
  const base = { type: field.type, id: field.id, custom_id: field.custom_id };
  if (field.type === ComponentType.TextInput) return { ...base, value: textValue(field, given) };
  if (field.type === ComponentType.StringSelect) return { ...base, values: selectValues(field, given) };
  if (field.type === ComponentType.FileUpload) {
    const files = uploadedFiles(field, given);
    for (const file of files) uploads.set(file.id, file);
    return { ...base, values: files.map((file) => file.id) };
  }
  return refuse(field.custom_id, `component type ${String(field.type)} is not modelled by the fake`);
}

/**
 * The `data` of the MODAL_SUBMIT for `modal` (as recorded, with ids) and the member's `values` by
 * custom id; fields left out keep what the modal pre-filled. Uploaded files come back in
 * `resolved.attachments`, marked ephemeral as Discord marks them.
 */
export function modalSubmitData(modal: Json, values: Record<string, ModalValue>): Json {
  const known = new Set(modalFields(modal).map((field) => field.custom_id));
  for (const customId of Object.keys(values))
    if (!known.has(customId)) refuse(customId, 'the modal has no such field');
  const uploads = new Map<string, FakeAttachment>();
  const components = ((modal.components ?? []) as Json[]).map((component) => {
    if (component.type === ComponentType.TextDisplay) return { type: component.type, id: component.id };
    if (component.type === ComponentType.Label) {
      const field = component.component as Json;
      return {
        type: component.type,
        id: component.id,
        component: submittedField(field, values[String(field.custom_id)], uploads),
      };
    }
    return {
      type: component.type,
      id: component.id,
      components: ((component.components ?? []) as Json[]).map((field) =>
        submittedField(field, values[String(field.custom_id)], uploads),
      ),
    };
  });
  const attachments = Object.fromEntries(
    [...uploads.values()].map((file) => [file.id, { ...file, ephemeral: true }]),
  );
  return {
    custom_id: modal.custom_id,
    components,
    ...(uploads.size > 0 ? { resolved: { attachments } } : {}),
  };
}
