#include "targetpickerdialog.h"

#include "daemonclient.h"
#include "daemonlink.h"
#include "preflightchecklistmodel.h"
#include "targetlistmodel.h"

#include <QCheckBox>
#include <QClipboard>
#include <QComboBox>
#include <QDialogButtonBox>
#include <QFormLayout>
#include <QGroupBox>
#include <QGuiApplication>
#include <QHBoxLayout>
#include <QHeaderView>
#include <QIntValidator>
#include <QJsonArray>
#include <QLabel>
#include <QLineEdit>
#include <QPlainTextEdit>
#include <QPushButton>
#include <QSortFilterProxyModel>
#include <QSpinBox>
#include <QTimer>
#include <QTreeView>
#include <QVBoxLayout>

namespace podtap {

namespace {
constexpr int NamespaceTypingDelayMs = 400;
constexpr int DefaultPreflightDelayMs = 300;
} // namespace

TargetPickerDialog::TargetPickerDialog(DaemonLink *link, QWidget *parent)
    : QDialog(parent)
    , m_link(link)
    , m_context(new QComboBox(this))
    , m_namespace(new QComboBox(this))
    , m_search(new QLineEdit(this))
    , m_targetView(new QTreeView(this))
    , m_port(new QComboBox(this))
    , m_profile(new QComboBox(this))
    , m_status(new QLabel(this))
    , m_checklistView(new QTreeView(this))
    , m_verdict(new QLabel(this))
    , m_ask(new QPlainTextEdit(this))
    , m_copyAsk(new QPushButton(QStringLiteral("&Copy"), this))
    , m_startAnyway(new QCheckBox(QStringLiteral("Start &anyway despite the warnings"), this))
    , m_mirror(new QCheckBox(QStringLiteral("Also &mirror to local port"), this))
    , m_mirrorPort(new QSpinBox(this))
    , m_joinMidstream(new QCheckBox(QStringLiteral("Also mirror connections already open"), this))
    , m_buttons(new QDialogButtonBox(QDialogButtonBox::Ok | QDialogButtonBox::Cancel, this))
    , m_preflightTimer(new QTimer(this))
    , m_namespaceTimer(new QTimer(this))
    , m_targets(new TargetListModel(this))
    , m_filter(new QSortFilterProxyModel(this))
    , m_checklist(new PreflightChecklistModel(this))
{
    setWindowTitle(QStringLiteral("New capture or mirror"));
    m_context->setObjectName(QStringLiteral("context"));
    m_namespace->setObjectName(QStringLiteral("namespace"));
    m_namespace->setEditable(true);
    m_namespace->setInsertPolicy(QComboBox::NoInsert);
    m_namespace->lineEdit()->setPlaceholderText(QStringLiteral("type or choose a namespace"));
    m_search->setObjectName(QStringLiteral("search"));
    m_search->setPlaceholderText(QStringLiteral("Search pods, workloads and services"));
    m_search->setClearButtonEnabled(true);

    m_filter->setSourceModel(m_targets);
    m_filter->setFilterCaseSensitivity(Qt::CaseInsensitive);
    m_filter->setFilterKeyColumn(-1);
    m_targetView->setObjectName(QStringLiteral("targets"));
    m_targetView->setModel(m_filter);
    m_targetView->setRootIsDecorated(false);
    m_targetView->setUniformRowHeights(true);
    m_targetView->setSelectionMode(QAbstractItemView::SingleSelection);
    m_targetView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_targetView->header()->setStretchLastSection(true);

    m_port->setObjectName(QStringLiteral("port"));
    m_port->setEditable(true);
    m_port->setInsertPolicy(QComboBox::NoInsert);
    m_port->lineEdit()->setPlaceholderText(QStringLiteral("a container port, or type one"));
    m_port->setMinimumContentsLength(28);

    m_status->setObjectName(QStringLiteral("status"));
    m_status->setWordWrap(true);
    m_status->setTextInteractionFlags(Qt::TextSelectableByMouse);

    m_checklistView->setObjectName(QStringLiteral("checklist"));
    m_checklistView->setModel(m_checklist);
    m_checklistView->setRootIsDecorated(false);
    m_checklistView->setWordWrap(true);
    m_checklistView->setSelectionBehavior(QAbstractItemView::SelectRows);
    m_checklistView->header()->setStretchLastSection(true);
    m_verdict->setObjectName(QStringLiteral("verdict"));
    m_verdict->setWordWrap(true);
    m_verdict->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_ask->setObjectName(QStringLiteral("ask"));
    m_ask->setReadOnly(true);
    m_ask->setMaximumHeight(80);
    m_ask->setPlaceholderText(QStringLiteral("Nothing to ask for."));
    m_copyAsk->setObjectName(QStringLiteral("copyAsk"));
    m_copyAsk->setToolTip(QStringLiteral("Copy the request for your cluster admin"));
    m_startAnyway->setObjectName(QStringLiteral("startAnyway"));

    m_mirror->setObjectName(QStringLiteral("mirror"));
    m_mirrorPort->setObjectName(QStringLiteral("mirrorPort"));
    m_mirrorPort->setRange(1, 65535);
    m_mirrorPort->setValue(9000);
    m_mirrorPort->setPrefix(QStringLiteral("127.0.0.1:"));
    m_joinMidstream->setObjectName(QStringLiteral("joinMidstream"));
    m_buttons->button(QDialogButtonBox::Ok)->setText(QStringLiteral("&Start"));
    m_buttons->button(QDialogButtonBox::Ok)->setObjectName(QStringLiteral("start"));

    auto *form = new QFormLayout;
    form->addRow(QStringLiteral("C&ontext:"), m_context);
    form->addRow(QStringLiteral("&Namespace:"), m_namespace);
    form->addRow(QStringLiteral("&Find:"), m_search);

    auto *checks = new QGroupBox(QStringLiteral("Preflight (nothing is injected yet)"), this);
    auto *askRow = new QHBoxLayout;
    askRow->addWidget(m_ask, 1);
    askRow->addWidget(m_copyAsk, 0, Qt::AlignTop);
    auto *checksLayout = new QVBoxLayout(checks);
    checksLayout->addWidget(m_verdict);
    checksLayout->addWidget(m_checklistView, 1);
    checksLayout->addWidget(new QLabel(QStringLiteral("Ask your cluster admin for:"), checks));
    checksLayout->addLayout(askRow);
    checksLayout->addWidget(m_startAnyway);

    m_profile->setObjectName(QStringLiteral("tapProfile"));
    m_profile->addItem(QStringLiteral("Default: root, no privilege escalation"),
                       QStringLiteral("default"));
    m_profile->addItem(QStringLiteral("Non-root: uid 65532, privilege escalation allowed"),
                       QStringLiteral("nonroot"));
    m_profile->addItem(QStringLiteral("Baseline: adds nothing, for Pod Security \"baseline\""),
                       QStringLiteral("baseline"));
    auto *profileNote = new QLabel(
            QStringLiteral("All hold only NET_RAW: Default runs tcpdump as root with privilege "
                           "escalation off, Non-root runs it as uid 65532 but must allow privilege "
                           "escalation (NET_RAW comes from a file capability on tcpdump) and needs "
                           "a tap image built for it (Settings, tap image). Baseline adds no "
                           "capability and drops every other one, so Pod Security \"baseline\" "
                           "admits it; it keeps NET_RAW from the node runtime's defaults "
                           "(containerd, Docker; not CRI-O)."),
            this);
    profileNote->setObjectName(QStringLiteral("tapProfileNote"));
    profileNote->setWordWrap(true);
    m_profile->setToolTip(profileNote->text());
    auto *portForm = new QFormLayout;
    portForm->addRow(QStringLiteral("&Port to tap:"), m_port);
    portForm->addRow(QStringLiteral("Tap p&rofile:"), m_profile);
    portForm->addRow(QString(), profileNote);
    auto *mirrorRow = new QHBoxLayout;
    mirrorRow->addWidget(m_mirror);
    mirrorRow->addWidget(m_mirrorPort);
    mirrorRow->addWidget(m_joinMidstream);
    mirrorRow->addStretch(1);

    auto *layout = new QVBoxLayout(this);
    layout->addLayout(form);
    layout->addWidget(m_targetView, 2);
    layout->addWidget(m_status);
    layout->addLayout(portForm);
    layout->addWidget(checks, 3);
    layout->addLayout(mirrorRow);
    layout->addWidget(m_buttons);
    resize(980, 760);

    m_preflightTimer->setSingleShot(true);
    m_preflightTimer->setInterval(DefaultPreflightDelayMs);
    m_namespaceTimer->setSingleShot(true);
    m_namespaceTimer->setInterval(NamespaceTypingDelayMs);

    connect(m_buttons, &QDialogButtonBox::accepted, this, &QDialog::accept);
    connect(m_buttons, &QDialogButtonBox::rejected, this, &QDialog::reject);
    connect(m_context, &QComboBox::currentIndexChanged, this, &TargetPickerDialog::loadNamespaces);
    connect(m_namespace, &QComboBox::currentTextChanged, m_namespaceTimer,
            qOverload<>(&QTimer::start));
    connect(m_namespaceTimer, &QTimer::timeout, this, &TargetPickerDialog::loadTargets);
    connect(m_search, &QLineEdit::textChanged, m_filter,
            &QSortFilterProxyModel::setFilterFixedString);
    connect(m_targetView->selectionModel(), &QItemSelectionModel::selectionChanged, this,
            &TargetPickerDialog::targetChosen);
    connect(m_port, &QComboBox::currentTextChanged, this, &TargetPickerDialog::schedulePreflight);
    connect(m_profile, &QComboBox::currentIndexChanged, this,
            &TargetPickerDialog::schedulePreflight);
    connect(m_preflightTimer, &QTimer::timeout, this, &TargetPickerDialog::runPreflight);
    connect(m_startAnyway, &QCheckBox::toggled, this, &TargetPickerDialog::validate);
    connect(m_mirror, &QCheckBox::toggled, this, &TargetPickerDialog::validate);
    connect(m_copyAsk, &QPushButton::clicked, this,
            [this] { QGuiApplication::clipboard()->setText(m_ask->toPlainText()); });

    validate();
    QMetaObject::invokeMethod(this, &TargetPickerDialog::reload, Qt::QueuedConnection);
}

TargetPickerDialog::~TargetPickerDialog() = default;

void TargetPickerDialog::setTapProfile(const QString &profile)
{
    if (const int i = m_profile->findData(profile); i >= 0)
        m_profile->setCurrentIndex(i);
}

void TargetPickerDialog::setKubeconfig(const QStringList &files)
{
    m_kubeconfig = files;
    reload();
}

void TargetPickerDialog::setPreflightDelayMs(int ms)
{
    m_preflightTimer->setInterval(ms);
}

QJsonObject TargetPickerDialog::baseParams() const
{
    // The same kubeconfig files and environment (for exec credential plugins) that
    // session.start will get, so what is checked is what will be tapped.
    SessionController::StartRequest r;
    r.kubeconfig = m_kubeconfig;
    const QJsonObject start = SessionController::startRequest(r).toJson();
    return {{QStringLiteral("kubeconfig"), start.value(QLatin1String("kubeconfig"))},
            {QStringLiteral("environment"), start.value(QLatin1String("environment"))},
            {QStringLiteral("context"), m_context->currentText()},
            {QStringLiteral("namespace"), m_namespace->currentText().trimmed()}};
}

void TargetPickerDialog::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color: #b3261e;") : QString());
}

void TargetPickerDialog::reload()
{
    ++m_namespaceGeneration;
    ++m_targetsGeneration;
    ++m_preflightGeneration;
    m_targets->clear();
    m_checklist->clear();
    setStatus(QStringLiteral("Loading the kubeconfig's contexts…"));
    const int generation = m_namespaceGeneration;
    DaemonClient(m_link).kubeContexts(
            baseParams(), this, [this, generation](const DaemonClient::JsonAnswer &r) {
                if (generation != m_namespaceGeneration)
                    return;
                if (!r.ok()) {
                    m_contexts = {};
                    QString text;
                    if (r.error.code == QLatin1String("no-kubeconfig"))
                        text = QStringLiteral("No kubeconfig found. %1").arg(r.error.message);
                    else if (r.error.code == QLatin1String("disconnected"))
                        text = QStringLiteral("podtapd is not running (%1): start it from the "
                                              "File menu, then open this dialog again.")
                                       .arg(r.error.message);
                    else
                        text = QStringLiteral("Cannot read the kubeconfig: %1")
                                       .arg(r.error.message);
                    setStatus(text, true);
                    Q_EMIT contextsLoaded();
                    validate();
                    return;
                }
                m_contexts = r.value;
                const QSignalBlocker block(m_context);
                m_context->clear();
                for (const QJsonValue c : r.value[QLatin1String("contexts")].toArray()) {
                    m_context->addItem(c[QLatin1String("name")].toString());
                    m_context->setItemData(m_context->count() - 1,
                                           QStringLiteral("%1 as %2 (%3)")
                                                   .arg(c[QLatin1String("server")].toString(),
                                                        c[QLatin1String("user")].toString(),
                                                        c[QLatin1String("authKind")].toString()),
                                           Qt::ToolTipRole);
                }
                const int current
                        = m_context->findText(r.value[QLatin1String("current")].toString());
                m_context->setCurrentIndex(current >= 0 ? current : 0);
                Q_EMIT contextsLoaded();
                loadNamespaces();
            });
}

void TargetPickerDialog::loadNamespaces()
{
    const int generation = ++m_namespaceGeneration;
    ++m_targetsGeneration;
    m_targets->clear();
    QString fallback = QStringLiteral("default");
    for (const QJsonValue c : m_contexts[QLatin1String("contexts")].toArray())
        if (c[QLatin1String("name")].toString() == m_context->currentText()
            && !c[QLatin1String("defaultNamespace")].toString().isEmpty())
            fallback = c[QLatin1String("defaultNamespace")].toString();
    setStatus(
            QStringLiteral("Loading the namespaces of context %1…").arg(m_context->currentText()));
    DaemonClient(m_link).kubeNamespaces(
            baseParams(), this, [this, generation, fallback](const DaemonClient::JsonAnswer &r) {
                if (generation != m_namespaceGeneration)
                    return;
                {
                    const QSignalBlocker block(m_namespace);
                    m_namespace->clear();
                    if (r.ok())
                        for (const QJsonValue n : r.value[QLatin1String("namespaces")].toArray())
                            m_namespace->addItem(n.toString());
                    const int i = m_namespace->findText(fallback);
                    if (i >= 0)
                        m_namespace->setCurrentIndex(i);
                    else
                        m_namespace->setEditText(fallback);
                }
                Q_EMIT namespacesLoaded();
                loadTargets();
                if (!r.ok())
                    // After loadTargets' "Loading…", so the reason stays visible
                    // until the targets answer.
                    setStatus(r.error.code == QLatin1String("forbidden")
                                      ? QStringLiteral("Not allowed to list namespaces: "
                                                       "%1")
                                                .arg(r.error.message)
                                      : r.error.message,
                              true);
            });
}

void TargetPickerDialog::loadTargets()
{
    m_namespaceTimer->stop();
    const int generation = ++m_targetsGeneration;
    m_targets->clear();
    m_port->clear();
    schedulePreflight();
    const QString ns = m_namespace->currentText().trimmed();
    if (m_context->currentText().isEmpty() || ns.isEmpty()) {
        validate();
        return;
    }
    setStatus(QStringLiteral("Loading pods, workloads and services in %1…").arg(ns));
    DaemonClient(m_link).kubeTargets(
            baseParams(), this, [this, generation, ns](const DaemonClient::JsonAnswer &r) {
                if (generation != m_targetsGeneration)
                    return;
                if (!r.ok()) {
                    setStatus(r.error.code == QLatin1String("forbidden")
                                      ? QStringLiteral("Not allowed: %1").arg(r.error.message)
                                      : QStringLiteral("Cannot list namespace %1: %2")
                                                .arg(ns, r.error.message),
                              true);
                    Q_EMIT targetsLoaded();
                    return;
                }
                m_targets->setTargets(r.value);
                for (int c = 0; c < TargetListModel::WhereColumn; ++c)
                    m_targetView->resizeColumnToContents(c);
                QStringList notAllowed;
                QStringList asks;
                for (const QJsonValue f : r.value[QLatin1String("forbidden")].toArray()) {
                    notAllowed << f[QLatin1String("kind")].toString();
                    asks << f[QLatin1String("ask")].toString();
                }
                QString text;
                if (m_targets->rowCount() == 0)
                    text = QStringLiteral("No pods, workloads or services in namespace %1. "
                                          "Choose another namespace (or context), or deploy "
                                          "something to tap first.")
                                   .arg(ns);
                else
                    text = QStringLiteral("%1 in namespace %2. Choose one to see its preflight "
                                          "checklist.")
                                   .arg(m_targets->rowCount() == 1
                                                ? QStringLiteral("1 target")
                                                : QStringLiteral("%1 targets")
                                                          .arg(m_targets->rowCount()),
                                        ns);
                if (!notAllowed.isEmpty())
                    text += QStringLiteral(" Not allowed to list %1 here (ask your cluster admin "
                                           "for %2).")
                                    .arg(notAllowed.join(QStringLiteral(", ")),
                                         asks.join(QStringLiteral("; ")));
                setStatus(text, m_targets->rowCount() == 0 && !notAllowed.isEmpty());
                Q_EMIT targetsLoaded();
            });
}

QString TargetPickerDialog::currentTarget() const
{
    const QModelIndexList rows = m_targetView->selectionModel()->selectedRows();
    if (rows.isEmpty())
        return {};
    return rows.constFirst().data(TargetListModel::TargetRole).toString();
}

int TargetPickerDialog::currentPort() const
{
    const QString text = m_port->currentText().trimmed();
    const int item = m_port->findText(text);
    if (item >= 0)
        return m_port->itemData(item).toInt();
    // Free entry: "8080", or a label someone edited that still starts with the number.
    bool ok = false;
    const int port = text.section(QLatin1Char(' '), 0, 0).toInt(&ok);
    return ok && port >= 1 && port <= 65535 ? port : 0;
}

void TargetPickerDialog::targetChosen()
{
    const QModelIndexList rows = m_targetView->selectionModel()->selectedRows();
    {
        const QSignalBlocker block(m_port);
        m_port->clear();
        if (!rows.isEmpty()) {
            const auto ports = rows.constFirst()
                                       .data(TargetListModel::PortsRole)
                                       .value<QList<TargetListModel::Port>>();
            for (const auto &p : ports)
                m_port->addItem(p.label, p.port);
            if (ports.isEmpty())
                m_port->setEditText(QString());
        }
    }
    schedulePreflight();
}

void TargetPickerDialog::schedulePreflight()
{
    ++m_preflightGeneration;
    m_preflightRunning = false;
    m_preflightPassed = false;
    m_preflightError.clear();
    m_checkedKey.clear();
    m_checklist->clear();
    m_ask->clear();
    m_startAnyway->setChecked(false);
    if (currentTarget().isEmpty()) {
        m_verdict->setText(
                QStringLiteral("Choose a target: its checklist shows here before anything is "
                               "injected."));
        m_preflightTimer->stop();
    } else if (currentPort() == 0) {
        m_verdict->setText(m_port->count() == 0
                                   ? QStringLiteral("%1 declares no ports: type the port to tap.")
                                             .arg(currentTarget())
                                   : QStringLiteral("Type a port between 1 and 65535."));
        m_preflightTimer->stop();
    } else {
        m_verdict->setText(
                QStringLiteral("Checking %1, port %2…").arg(currentTarget()).arg(currentPort()));
        m_preflightTimer->start();
    }
    validate();
}

void TargetPickerDialog::runPreflight()
{
    const QString target = currentTarget();
    const int port = currentPort();
    if (target.isEmpty() || port == 0)
        return;
    const int generation = ++m_preflightGeneration;
    m_preflightRunning = true;
    QJsonObject params = baseParams();
    params[QLatin1String("target")] = target;
    params[QLatin1String("port")] = port;
    // Check the image and profile session.start will get.
    if (const QString image = SessionController::startRequest(request()).image; !image.isEmpty())
        params[QLatin1String("image")] = image;
    params[QLatin1String("tapProfile")] = m_profile->currentData().toString();
    const QString key = QStringLiteral("%1|%2|%3|%4|%5")
                                .arg(m_context->currentText(), m_namespace->currentText(), target)
                                .arg(port)
                                .arg(m_profile->currentData().toString());
    DaemonClient(m_link).kubePreflight(
            params, this, [this, generation, key](const DaemonClient::JsonAnswer &r) {
                if (generation != m_preflightGeneration)
                    return;
                m_preflightRunning = false;
                m_checkedKey = key;
                if (!r.ok()) {
                    m_preflightError = r.error.message;
                    m_verdict->setText(
                            QStringLiteral("Preflight could not run: %1").arg(r.error.message));
                    validate();
                    Q_EMIT preflightFinished(false);
                    return;
                }
                m_checklist->setReport(r.value);
                m_preflightPassed = r.value[QLatin1String("passed")].toBool();
                m_ask->setPlainText(m_checklist->askText());
                for (int c = 0; c < PreflightChecklistModel::WhyColumn; ++c)
                    m_checklistView->resizeColumnToContents(c);
                m_checklistView->setColumnWidth(PreflightChecklistModel::WhyColumn, 380);
                QString verdict;
                if (!m_preflightPassed)
                    verdict = QStringLiteral("Preflight failed: %1 of %2 checks failed. Nothing "
                                             "was injected; ask your cluster admin for what is "
                                             "listed below, or choose another target.")
                                      .arg(m_checklist->fails())
                                      .arg(m_checklist->rowCount());
                else if (m_checklist->warnings() > 0)
                    verdict = QStringLiteral("Preflight passed with %1 warning(s): read them, "
                                             "then tick \"Start anyway\" to start.")
                                      .arg(m_checklist->warnings());
                else
                    verdict = QStringLiteral("Preflight passed: all %1 checks are ok.")
                                      .arg(m_checklist->rowCount());
                const QString note = r.value[QLatin1String("note")].toString();
                if (!note.isEmpty())
                    verdict += QLatin1Char(' ') + note;
                const int podPort = r.value[QLatin1String("podPort")].toInt();
                if (podPort > 0 && podPort != r.value[QLatin1String("port")].toInt())
                    verdict += QStringLiteral(" Service port %1 is pod port %2.")
                                       .arg(r.value[QLatin1String("port")].toInt())
                                       .arg(podPort);
                // The rows' text is cut to the column width: spell the problems out here.
                const QStringList problems = m_checklist->problems();
                for (const QString &p : problems)
                    verdict += QStringLiteral("\n• ") + p;
                m_verdict->setText(verdict);
                validate();
                Q_EMIT preflightFinished(m_preflightPassed);
            });
}

QString TargetPickerDialog::problem() const
{
    if (m_context->currentText().isEmpty())
        return QStringLiteral("Choose a kubeconfig context.");
    if (m_namespace->currentText().trimmed().isEmpty())
        return QStringLiteral("Choose or type a namespace.");
    const QString target = currentTarget();
    if (target.isEmpty())
        return QStringLiteral("Choose a pod, workload or service to tap.");
    const int port = currentPort();
    if (port == 0)
        return QStringLiteral("Choose or type the port to tap (1-65535).");
    const QString key = QStringLiteral("%1|%2|%3|%4|%5")
                                .arg(m_context->currentText(), m_namespace->currentText(), target)
                                .arg(port)
                                .arg(m_profile->currentData().toString());
    if (m_preflightRunning || m_checkedKey != key)
        return QStringLiteral("Waiting for the preflight checklist.");
    if (!m_preflightError.isEmpty())
        return QStringLiteral("Preflight could not run: %1").arg(m_preflightError);
    if (!m_preflightPassed || m_checklist->fails() > 0)
        return QStringLiteral("Preflight failed: see what to ask your cluster admin for.");
    if (m_checklist->warnings() > 0 && !m_startAnyway->isChecked())
        return QStringLiteral("Preflight has warnings: tick \"Start anyway\" to start.");
    return {};
}

void TargetPickerDialog::validate()
{
    const bool failed = m_checklist->fails() > 0;
    // "Start anyway" is for warnings only: a failed check would make the tap fail anyway.
    m_startAnyway->setEnabled(!failed && m_checklist->warnings() > 0);
    m_startAnyway->setVisible(m_checklist->warnings() > 0 && !failed);
    m_copyAsk->setEnabled(!m_ask->toPlainText().isEmpty());
    m_mirrorPort->setEnabled(m_mirror->isChecked());
    m_joinMidstream->setEnabled(m_mirror->isChecked());
    const QString why = problem();
    QPushButton *start = m_buttons->button(QDialogButtonBox::Ok);
    start->setEnabled(why.isEmpty());
    start->setToolTip(why);
}

SessionController::StartRequest TargetPickerDialog::request() const
{
    SessionController::StartRequest r;
    r.kubeconfig = m_kubeconfig;
    r.context = m_context->currentText();
    r.ns = m_namespace->currentText().trimmed();
    r.target = currentTarget();
    r.port = currentPort();
    r.tapProfile = m_profile->currentData().toString();
    if (m_mirror->isChecked()) {
        r.mirrorPort = m_mirrorPort->value();
        r.joinMidstream = m_joinMidstream->isChecked();
    }
    return r;
}

} // namespace podtap
