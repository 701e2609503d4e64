from configparser import ConfigParser
import setuptools, shlex

# note: all settings are in settings.ini; edit there, not here
config = ConfigParser(delimiters=['='])
config.read('settings.ini', encoding='utf-8')
cfg = config['DEFAULT']

cfg_keys = 'version description keywords author author_email'.split()
expected = cfg_keys + "lib_name user branch license status min_python audience language".split()
for o in expected: assert o in cfg, "missing expected setting: {}".format(o)
setup_cfg = {o:cfg[o] for o in cfg_keys}

licenses = {
    'apache2': ('Apache Software License 2.0','OSI Approved :: Apache Software License'),
    'mit': ('MIT License', 'OSI Approved :: MIT License'),
}
statuses = [ '1 - Planning', '2 - Pre-Alpha', '3 - Alpha',
    '4 - Beta', '5 - Production/Stable', '6 - Mature', '7 - Inactive' ]
py_versions = '3.10 3.11 3.12'.split()

requirements = shlex.split(cfg.get('requirements', ''))
dev_requirements = shlex.split(cfg.get('dev_requirements', ''))
gpu_requirements = shlex.split(cfg.get('gpu_requirements', ''))
lic = licenses.get(cfg['license'].lower(), (cfg['license'], None))
min_python = cfg['min_python']
console_scripts = [s for s in cfg.get('console_scripts', '').split('\n') if s.strip()]
# The web app (`web/` at the top of the checkout) is installed as `plantvit/web`, with the TF.js runtime npm put in
# web/node_modules (present when `make setup` ran `npm ci` before the build; without it the page asks the server).
# The same list as plantvit.surface's WEB_FILES + DOCS_FILES (what the server serves; 08b_surface checks they agree).
WEB_FILES = ['index.html', 'app.js', 'style.css', 'shim.js', 'sw.js', 'manifest.webmanifest', 'icon.svg', 'icon-*.png',
             'node_modules/@tensorflow/tfjs/dist/tf.min.js',
             'node_modules/@tensorflow/tfjs-backend-wasm/dist/tf-backend-wasm.min.js',
             'node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm',
             'node_modules/swagger-ui-dist/swagger-ui-bundle.js', 'node_modules/swagger-ui-dist/swagger-ui.css']

setuptools.setup(
    name = cfg['lib_name'],
    license = lic[0],
    classifiers = [
        'Development Status :: ' + statuses[int(cfg['status'])],
        'Intended Audience :: ' + cfg['audience'].title(),
        'Natural Language :: ' + cfg['language'].title(),
    ] + ['Programming Language :: Python :: '+o for o in py_versions[py_versions.index(min_python):]] + (['License :: ' + lic[1] ] if lic[1] else []),
    url = cfg['git_url'],
    packages = setuptools.find_packages(include=['plantvit', 'plantvit.*']) + ['plantvit.web'],
    package_dir = {'plantvit.web': 'web'},
    include_package_data = True,
    package_data = {'plantvit': ['bundles/**/*'], 'plantvit.web': WEB_FILES},
    install_requires = requirements,
    extras_require = {'dev': dev_requirements, 'gpu': gpu_requirements},
    python_requires  = '>=' + cfg['min_python'],
    long_description = open('README.md', encoding='utf-8').read(),
    long_description_content_type = 'text/markdown',
    zip_safe = False,
    entry_points = {
        'console_scripts': console_scripts,
        'nbdev': [f'{cfg.get("lib_path")}={cfg.get("lib_path")}._modidx:d']
    },
    **setup_cfg)
