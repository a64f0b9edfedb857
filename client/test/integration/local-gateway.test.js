'use strict';
// The client against the packaged gateway in the `local` profile (test-support/local-gateway.js), its wx.request
// doing real HTTP (test-support/http-wx.js). The example routes of routes.yml go to the profile's echo backend, whose
// answer shows what a backend received: {method, path, identity, phone, jwt, headers, body}.
const { test: nodeTest, before, after } = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');
const { createAuthClient } = require('../../wechat-auth');
const { httpWx } = require('../../test-support/http-wx');
const { startLocalGateway } = require('../../test-support/local-gateway');

const test = (name, fn) => nodeTest(name, { timeout: 30000 }, fn);

let gateway;
let users = 0;

before(async () => {
  gateway = await startLocalGateway();
}, { timeout: 120000 });

after(async () => {
  if (gateway) {
    await gateway.stop();
  }
});

/** A client of the gateway for a new sandbox user (every wx.login of it logs in as that user). */
function client(options) {
  const wx = httpWx('it-user-' + process.pid + '-' + (++users));
  const auth = createAuthClient(Object.assign({ baseUrl: gateway.baseUrl, wx: wx }, options));
  return { wx, auth };
}

function paths(wx) {
  return wx.calls.request.map((call) => (call.method || 'GET') + ' ' + call.url.replace(gateway.baseUrl, ''));
}

/** encryptedData of `object` for the sandbox user of `code`, made by the sandbox through the playground. */
async function sandboxEncrypt(code, object) {
  const response = await fetch(gateway.baseUrl + '/playground/sandbox/encrypt?code=' + encodeURIComponent(code), {
    method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(object)
  });
  assert.equal(response.status, 200);
  return response.json();
}

test('a first request on a required route logs in by itself, and the backend receives the identity', async () => {
  const { wx, auth } = client();

  const answer = await auth.request({ url: '/api/orders/1' });

  assert.equal(answer.statusCode, 200);
  assert.deepEqual(paths(wx), ['GET /api/orders/1', 'POST /wx/login', 'GET /api/orders/1']);
  assert.equal(wx.calls.login, 1);
  const session = await auth.session();
  assert.match(session.openid, /^local_[0-9a-f]{24}$/);
  const backend = answer.data;
  assert.equal(backend.path, '/api/orders/1');
  assert.equal(backend.identity['X-OpenId'], session.openid);
  assert.equal(backend.identity['X-AppId'], 'wx_local_sandbox');
  assert.notEqual(backend.headers.Authorization || backend.headers.authorization, 'Bearer ' + auth.getToken(),
      'the client\'s token never reaches a backend');
  assert.equal(backend.jwt.in.toLowerCase(), 'authorization', 'the gateway\'s identity JWT took its place');
  assert.equal(backend.jwt.claims.sub, session.openid);
});

test('an optional route answers without a token and without a login; with one, it carries the identity', async () => {
  const { wx, auth } = client();

  const anonymous = await auth.request({ url: '/api/catalog/1' });
  assert.deepEqual(anonymous.data.identity, {});
  assert.equal(wx.calls.login, 0);

  const login = await auth.login();
  const known = await auth.request({ url: '/api/catalog/1', method: 'POST', data: { q: 'tea' } });
  assert.equal(known.data.identity['X-OpenId'], login.openid);
  assert.deepEqual(known.data.body, { q: 'tea' });
});

test('five concurrent requests with an ended session share one login and are each retried once', async () => {
  const { wx, auth } = client();
  await auth.login();
  const ended = auth.getToken();
  await fetch(gateway.baseUrl + '/wx/logout', { method: 'POST', headers: { Authorization: 'Bearer ' + ended } });

  const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => auth.request({ url: '/api/orders/' + n })));

  answers.forEach((answer) => assert.equal(answer.statusCode, 200));
  assert.equal(wx.calls.login, 2, 'the first login, then one shared by the five');
  assert.equal(paths(wx).filter((line) => line === 'POST /wx/login').length, 2);
  for (let n = 1; n <= 5; n++) {
    assert.equal(paths(wx).filter((line) => line === 'GET /api/orders/' + n).length, 2);
  }
  assert.notEqual(auth.getToken(), ended);
});

test('after logout() the token is gone: a required route without autoLogin is 401 missing_token', async () => {
  const { auth } = client();
  await auth.login();
  const old = auth.getToken();

  await auth.logout();

  assert.equal(auth.isLoggedIn(), false);
  await assert.rejects(auth.request({ url: '/api/orders/1', autoLogin: false }), {
    error: 'missing_token', statusCode: 401
  });
  const replay = await fetch(gateway.baseUrl + '/api/orders/1', { headers: { Authorization: 'Bearer ' + old } });
  assert.equal(replay.status, 401, 'the gateway ended the session');
  assert.equal((await replay.json()).error, 'invalid_token');
});

test('an unknown route is rejected with the gateway\'s not_found and its message', async () => {
  const { auth } = client();

  await assert.rejects(auth.request({ url: '/no/such/route' }), (error) => {
    assert.equal(error.error, 'not_found');
    assert.equal(error.statusCode, 404);
    assert.ok(error.message.length > 0 && !/^HTTP /.test(error.message), error.message);
    return true;
  });
});

test('getPhoneNumber() answers the sandbox\'s number, and a phone route with a service gives it the X-Phone headers', async () => {
  const { auth } = client();
  const login = await auth.login();

  const phone = await auth.getPhoneNumber('any-phone-code');
  assert.match(phone.phoneNumber, /^\+861[0-9]{10}$/);
  assert.equal(phone.countryCode, '86');

  const forwarded = await auth.getPhoneNumber('any-phone-code-2', { path: '/api/users/me/phone' });
  assert.equal(forwarded.identity['X-OpenId'], login.openid);
  assert.match(forwarded.phone['X-Phone-Number'], /^\+861[0-9]{10}$/);
  assert.equal(forwarded.phone['X-Pure-Phone-Number'], forwarded.phone['X-Phone-Number'].slice(3));
  assert.equal(forwarded.phone['X-Phone-Country-Code'], '86');
});

test('decrypt() opens the sandbox\'s encryptedData, on the gateway or for a service, and says decrypt_failed plainly', async () => {
  const { wx, auth } = client();
  await auth.login();
  const steps = { stepInfoList: [{ timestamp: 1700000000, step: 8000 }] };
  const sealed = await sandboxEncrypt(wx.user, steps);

  assert.deepEqual(await auth.decrypt(sealed.encryptedData, sealed.iv), steps);
  const forwarded = await auth.decrypt(sealed, { path: '/api/steps' });
  assert.deepEqual(forwarded.body, steps);
  assert.equal(forwarded.headers['content-type'] || forwarded.headers['Content-Type'], 'application/json');

  const someoneElses = await sandboxEncrypt('someone-else-' + process.pid, steps);
  await assert.rejects(auth.decrypt(someoneElses), (error) => {
    assert.equal(error.error, 'decrypt_failed');
    assert.equal(error.statusCode, 400);
    assert.match(error.hint, /login\(\)/);
    return true;
  });
});

test('uploadFile() sends the file with the token, logging in first when needed', async () => {
  const { wx, auth } = client();
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'wechat-auth-')), 'avatar.txt');
  fs.writeFileSync(file, 'pretend this is a picture');

  const answer = await auth.uploadFile({ url: '/api/orders/1/photo', filePath: file, name: 'photo', formData: { a: 'b' } });

  assert.equal(answer.statusCode, 200);
  assert.equal(wx.calls.uploadFile.length, 2, 'a 401, then one retry after the login');
  assert.equal(answer.data.identity['X-OpenId'], (await auth.session()).openid);
  assert.match(answer.data.headers['content-type'], /^multipart\/form-data/);
  assert.match(answer.data.body, /pretend this is a picture/);
});
