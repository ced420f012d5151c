// Discord's answer to a body it refuses: 400, code 50035 "Invalid Form Body", with `errors` a tree
// that follows the path of each bad field (`data.components.0.component.options`) down to its
// `_errors`, each a `{ code, message }` such as BASE_TYPE_MAX_LENGTH. Discord's codes and wording
// are followed where they are known; tests should assert the path and 50035, not the wording.
import { RESTJSONErrorCodes } from 'discord.js';

export interface FieldError {
  code: string;
  message: string;
}

type ErrorTree = { _errors?: FieldError[] } & { [field: string]: ErrorTree | FieldError[] | undefined };

export class FormErrors {
  readonly tree: ErrorTree = {};
  private count = 0;

  add(path: readonly (string | number)[], error: FieldError): void {
    let node = this.tree;
    for (const key of path) {
      const child = (node[String(key)] ?? {}) as ErrorTree;
      node[String(key)] = child;
      node = child;
    }
    node._errors = [...(node._errors ?? []), error];
    this.count++;
  }

  get empty(): boolean {
    return this.count === 0;
  }

  /** A string field of `min`..`max` characters (Discord counts code points, not UTF-16 units). */
  checkString(path: readonly (string | number)[], value: unknown, min: number, max: number): void {
    if (value === undefined || value === null) {
      if (min > 0) this.add(path, { code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
      return;
    }
    if (typeof value !== 'string') {
      this.add(path, { code: 'STRING_TYPE_CONVERT', message: 'Could not interpret value as string.' });
      return;
    }
    const length = [...value].length;
    if (length > max)
      this.add(path, { code: 'BASE_TYPE_MAX_LENGTH', message: `Must be ${max} or fewer in length.` });
    else if (length < min)
      this.add(path, { code: 'BASE_TYPE_MIN_LENGTH', message: `Must be ${min} or more in length.` });
  }

  /** An optional integer field within `min`..`max`. */
  checkInteger(path: readonly (string | number)[], value: unknown, min: number, max: number): void {
    if (value === undefined || value === null) return;
    if (!Number.isInteger(value)) {
      this.add(path, { code: 'NUMBER_TYPE_COERCE', message: `Value "${String(value)}" is not int.` });
    } else if ((value as number) > max) {
      this.add(path, {
        code: 'NUMBER_TYPE_MAX',
        message: `int value should be less than or equal to ${max}.`,
      });
    } else if ((value as number) < min) {
      this.add(path, {
        code: 'NUMBER_TYPE_MIN',
        message: `int value should be greater than or equal to ${min}.`,
      });
    }
  }

  /** An array field of `min`..`max` items; answers whether it is an array at all. */
  checkArray(
    path: readonly (string | number)[],
    value: unknown,
    min: number,
    max: number,
  ): value is unknown[] {
    if (!Array.isArray(value)) {
      this.add(path, { code: 'BASE_TYPE_REQUIRED', message: 'This field is required' });
      return false;
    }
    if (value.length < min || value.length > max)
      this.add(path, {
        code: 'BASE_TYPE_BAD_LENGTH',
        message: `Must be between ${min} and ${max} in length.`,
      });
    return true;
  }

  /** The body Discord answers with. */
  body(): { message: string; code: number; errors: ErrorTree } {
    return {
      message: 'Invalid Form Body',
      code: RESTJSONErrorCodes.InvalidFormBodyOrContentType,
      errors: this.tree,
    };
  }
}
