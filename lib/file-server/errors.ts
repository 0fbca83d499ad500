// Configuration errors of startFileServer, with stable codes that callers branch on.
import { InputError } from '../../common/errors.js';

export const FileServerErrorCode = {
  /** Options are malformed (bad port, empty token, ...). */
  InvalidOptions: 'FERRY_ERR_FILESERVER_OPTIONS',
  /** `bind` is reachable from other hosts but no token was given. */
  TokenRequired: 'FERRY_ERR_FILESERVER_TOKEN_REQUIRED',
  /** `root` does not exist or is not a directory. */
  InvalidRoot: 'FERRY_ERR_FILESERVER_ROOT',
} as const;
export type FileServerErrorCode = (typeof FileServerErrorCode)[keyof typeof FileServerErrorCode];

/** Raised by {@link startFileServer} for configuration mistakes; callers branch on `code`. */
export class FileServerError extends InputError {
  override readonly name = 'FileServerError';
  constructor(
    message: string,
    override readonly code: FileServerErrorCode,
  ) {
    super(code, message);
  }
}
