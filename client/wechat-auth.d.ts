// Type declarations of wechat-auth.js, the mini-program client of wechat-auth-gateway.

/** What wx.request's success gives: the answer of the gateway or of the service behind it. */
export interface AuthResponse<T = any> {
  statusCode: number;
  data: T;
  header: Record<string, string>;
  errMsg?: string;
  [key: string]: any;
}

/** wx.request's options, with `url` relative to `baseUrl` (or absolute), and no callbacks: promises instead. */
export interface AuthRequestOptions {
  url: string;
  method?: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE' | 'OPTIONS';
  data?: string | object | ArrayBuffer;
  header?: Record<string, string>;
  timeout?: number;
  dataType?: string;
  responseType?: 'text' | 'arraybuffer';
  /** On a 401 missing_token or invalid_token, log in and retry once (default: the client's `autoLogin`). */
  autoLogin?: boolean;
  [key: string]: any;
}

/** wx.uploadFile's options, with `url` relative to `baseUrl` (or absolute). */
export interface AuthUploadOptions {
  url: string;
  filePath: string;
  name: string;
  header?: Record<string, string>;
  formData?: Record<string, any>;
  timeout?: number;
  autoLogin?: boolean;
  [key: string]: any;
}

export interface AuthClientOptions {
  /** The gateway, e.g. 'https://api.example.com'; relative urls are resolved against it, and only it gets the token. */
  baseUrl: string;
  /** Default '/wx/login'. */
  loginPath?: string;
  /** Default '/wx/logout'. */
  logoutPath?: string;
  /** Default '/wx/session'. */
  sessionPath?: string;
  /** Default '/wx/sessions'. */
  sessionsPath?: string;
  /** Default '/wx/phone'. */
  phonePath?: string;
  /** Default '/wx/decrypt'. */
  decryptPath?: string;
  /** The wx.setStorageSync key of the token; default 'wechat-auth-token'. */
  storageKey?: string;
  /** On a 401 missing_token or invalid_token, log in once and retry once; default true. */
  autoLogin?: boolean;
  /** Sent with the login to choose one of the gateway's mini-programs. */
  appid?: string;
  /** The wx API; default the mini-program's global `wx`. */
  wx?: any;
}

export interface LoginResult {
  openid?: string;
  unionid?: string;
  /** Seconds. */
  expiresIn?: number;
  /** The login route's answer. */
  data: any;
}

export interface SessionInfo {
  id: string;
  createdAt: number;
  lastUsedAt: number;
  expiresIn: number;
  userAgent?: string;
  current: boolean;
}

export interface PhoneNumber {
  phoneNumber: string;
  purePhoneNumber: string;
  countryCode: string;
}

export interface AuthClient {
  request<T = any>(options: AuthRequestOptions): Promise<AuthResponse<T>>;
  uploadFile<T = any>(options: AuthUploadOptions): Promise<AuthResponse<T>>;
  /** wx.login, then the login route; concurrent calls share one login. */
  login(): Promise<LoginResult>;
  /** Ends this session and forgets the token. */
  logout(): Promise<void>;
  /** Ends every session of the user in this mini-program (DELETE /wx/sessions) and forgets the token. */
  logoutEverywhere(): Promise<void>;
  /** The user's sessions, newest first (GET /wx/sessions). */
  sessions(): Promise<SessionInfo[]>;
  /** Ends one session by its id (DELETE /wx/sessions/{id}). */
  endSession(id: string): Promise<void>;
  /** The session of the token (GET /wx/session). */
  session(): Promise<{ openid: string; unionid?: string; appid: string; expiresIn: number; createdAt?: number }>;
  /** The phone number from the getPhoneNumber button's e.detail.code. */
  getPhoneNumber<T = PhoneNumber>(code: string | undefined, options?: { path?: string }): Promise<T>;
  /** encryptedData decrypted by the gateway; rejects with error 'decrypt_failed' when it was made with an older session_key. */
  decrypt<T = any>(encryptedData: string, iv: string, options?: { path?: string }): Promise<T>;
  decrypt<T = any>(data: { encryptedData: string; iv: string }, options?: { path?: string }): Promise<T>;
  /** The stored token, '' when logged out. */
  getToken(): string;
  isLoggedIn(): boolean;
}

/** An error answer, a network failure or a failed wx call. */
export class WechatAuthError extends Error {
  /**
   * The gateway's error code ('missing_token', 'invalid_token', 'invalid_code', 'decrypt_failed', 'rate_limited', …),
   * or 'http_error' (an error answer without one), 'network_error', 'wx_login_failed', 'no_phone_code'.
   */
  error: string;
  /** The gateway's message, one sentence. */
  message: string;
  /** Absent when no answer came. */
  statusCode?: number;
  data?: any;
  header?: Record<string, string>;
  /** What to do, for decrypt_failed. */
  hint?: string;
}

export function createAuthClient(options: AuthClientOptions): AuthClient;
