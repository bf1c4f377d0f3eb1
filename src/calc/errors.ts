/** A datastore value calc cannot use; names the record, the field and the value. Nothing was changed. */
export class CalcInputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CalcInputError';
  }
}
