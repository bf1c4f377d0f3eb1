/** A datastore value calc cannot use; names the record, the field and the value. Nothing was changed. */
export class CalcInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalcInputError';
  }
}

/** A datastore key whose value failed validation (and so counts as absent), with the reason. */
export interface InvalidValue {
  key: string;
  error: string;
}
